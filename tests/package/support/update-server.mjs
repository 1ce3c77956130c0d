// What the update tests serve and sign: a throwaway minisign key pair (made
// with `tauri signer generate`, never committed, deleted after the run),
// Runbook packaged at two versions with that key's pubkey built in, and a
// loopback HTTP server on 127.0.0.1:0 that serves the manifest and the
// artifacts, honestly or in one of the ways an update must be refused.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { root } from "./package.mjs";

const tauri = join(root, "node_modules/.bin/tauri");

/** The updater target a .deb install looks for first (`{os}-{arch}-{installer}`). */
export const DEB_TARGET = `linux-${process.arch === "x64" ? "x86_64" : process.arch}-deb`;

/** A fresh key pair in a private directory: `{ dir, privateKey, publicKey }`, both as the files hold them. */
export function generateKeyPair(name = "key") {
  const dir = mkdtempSync(join(tmpdir(), "runbook-update-key-"));
  const path = join(dir, name);
  execFileSync(tauri, ["signer", "generate", "--ci", "--password", "", "--write-keys", path], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return {
    dir,
    privateKey: readFileSync(path, "utf8"),
    publicKey: readFileSync(`${path}.pub`, "utf8").trim(),
  };
}

/** Signs `file` as `tauri build` does, for `version`; the .sig file's text (what a manifest carries). */
export function sign(file, key, version) {
  execFileSync(tauri, ["signer", "sign", "--app-version", version, file], {
    env: {
      ...process.env,
      TAURI_SIGNING_PRIVATE_KEY: key.privateKey,
      TAURI_SIGNING_PRIVATE_KEY_PASSWORD: "",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return readFileSync(`${file}.sig`, "utf8").trim();
}

/**
 * Packages Runbook at `version` with scripts/package.sh, `key`'s pubkey built
 * in and the .deb signed by `tauri build` itself (createUpdaterArtifacts).
 * Plain http is allowed for this build only: its endpoint is the loopback
 * server. The .deb and its .sig are copied to `outDir` at once (the next
 * build clears the bundle dir). Returns `{ deb, signature, size, seconds }`.
 */
export function buildSignedPackage({ version, key, outDir }) {
  const overlay = {
    plugins: { updater: { pubkey: key.publicKey, dangerousInsecureTransportProtocol: true } },
    bundle: { createUpdaterArtifacts: true },
  };
  const started = Date.now();
  const out = execFileSync("bash", [join(root, "scripts/package.sh"), "--version", version], {
    encoding: "utf8",
    env: {
      ...process.env,
      CONVOY_PACKAGE_CONFIG: JSON.stringify(overlay),
      // What an update test needs of a package is its signature and contents,
      // not its size (bench:package measures the real one): the .deb alone,
      // compressed fast, saves minutes of xz -9 per build.
      CONVOY_PACKAGE_BUNDLES: "deb",
      CONVOY_DEB_XZ_LEVEL: process.env.CONVOY_DEB_XZ_LEVEL ?? "1",
      TAURI_SIGNING_PRIVATE_KEY: key.privateKey,
      TAURI_SIGNING_PRIVATE_KEY_PASSWORD: "",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const seconds = (Date.now() - started) / 1000;
  const built = out.split("\n").find((line) => line.endsWith(".deb"));
  if (!built) throw new Error(`scripts/package.sh printed no .deb:\n${out}`);
  mkdirSync(outDir, { recursive: true });
  const deb = join(outDir, basename(built));
  copyFileSync(built, deb);
  copyFileSync(`${built}.sig`, `${deb}.sig`);
  return { deb, signature: readFileSync(`${deb}.sig`, "utf8").trim(), size: statSync(deb).size, seconds };
}

/** A manifest as Tauri's updater reads it, offering `version` at `url` for a .deb install. */
export function manifest({ version, url, signature, notes = `Runbook ${version}` }) {
  return {
    version,
    notes,
    pub_date: "2026-12-01T00:00:00Z",
    platforms: { [DEB_TARGET]: { url, signature } },
  };
}

/**
 * The loopback update server. `serve({ manifest, artifact })` sets what it
 * answers: `manifest` an object (sent as JSON) or a string (sent as is);
 * `artifact` `{ bytes, mode }` where mode is
 *   "whole"      the bytes, with their length;
 *   "truncated"  only the first half, with that half's length (a short file);
 *   "disappear"  the whole length announced, half sent, then the socket and
 *                the listener close: the server is gone mid-download.
 * `url` is the manifest's address; `artifactUrl` the artifact's.
 */
export async function startUpdateServer() {
  let current = { manifest: "", artifact: null };
  const requests = [];
  const sockets = new Set();
  const server = createServer((request, response) => {
    requests.push(request.url);
    if (request.url === "/latest.json") {
      const body = typeof current.manifest === "string" ? current.manifest : JSON.stringify(current.manifest);
      response.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
      });
      return response.end(body);
    }
    if (request.url === "/runbook.deb" && current.artifact) {
      const { bytes, mode = "whole" } = current.artifact;
      const half = bytes.subarray(0, Math.floor(bytes.length / 2));
      if (mode === "truncated") {
        response.writeHead(200, { "Content-Length": half.length });
        return response.end(half);
      }
      response.writeHead(200, { "Content-Length": bytes.length });
      if (mode === "disappear") {
        response.write(half, () => {
          server.close();
          for (const socket of sockets) socket.destroy();
        });
        return;
      }
      return response.end(bytes);
    }
    response.writeHead(404).end();
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const listen = (port) =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve(server.address().port);
      });
    });
  const port = await listen(0);
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/latest.json`,
    artifactUrl: `${base}/runbook.deb`,
    requests,
    serve(next) {
      current = { ...current, ...next };
    },
    /** After a "disappear": listens again on the same port. */
    async reopen() {
      if (!server.listening) await listen(port);
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}

/**
 * The key pair and the two signed packages the update tests need. Building
 * both takes two release builds; with `CONVOY_UPDATE_FIXTURES` naming a
 * directory, they are kept there and a later run reuses them (the key is
 * still a throwaway one, made by `generateKeyPair`, never in the repository).
 * Returns `{ key, n, next, reused }`.
 */
export function signedFixtures({
  versions = ["0.1.0", "0.2.0"],
  dir = process.env.CONVOY_UPDATE_FIXTURES,
} = {}) {
  const saved = dir ? join(dir, "fixtures.json") : null;
  if (saved && existsSync(saved)) {
    const fixtures = JSON.parse(readFileSync(saved, "utf8"));
    if (existsSync(fixtures.n.deb) && existsSync(fixtures.next.deb)) return { ...fixtures, reused: true };
  }
  const key = generateKeyPair();
  const outDir = dir ?? mkdtempSync(join(tmpdir(), "runbook-update-packages-"));
  const n = buildSignedPackage({ version: versions[0], key, outDir: join(outDir, "n") });
  const next = buildSignedPackage({ version: versions[1], key, outDir: join(outDir, "next") });
  const fixtures = { key, n, next, dir: outDir };
  if (saved) writeFileSync(saved, JSON.stringify(fixtures), { mode: 0o600 });
  return { ...fixtures, reused: false };
}

export function removeKey(key) {
  rmSync(key.dir, { recursive: true, force: true });
}
