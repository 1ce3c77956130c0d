// Runbook as a user gets it: the .deb that `npm run package` builds, installed
// with apt-get, launched from its installed path with a home directory of its
// own, driven in the real webview through tauri-driver, and removed again.
// Used by every test in this folder (the update tests too).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@convoy/testing";
import { launchApp } from "../../e2e/support/app.mjs";
import { commandLine, isAlive, processTable, withEnvironment } from "../../e2e/support/processes.mjs";

/** A dpkg-query `--showformat`: field names become `${name}`, anything with a space stays as it is. */
const dpkgFormat = (...parts) =>
  parts.map((part) => (part.includes(" ") ? part : `$${"{"}${part}}`)).join("");

export const root = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
/** What the package is called, and what it installs that runs. */
export const packageName = "runbook";
export const installedBinary = "/usr/bin/runbook";
export const installedSidecar = "/usr/bin/runbook-sidecar";
/** Tauri's app data dir for the identifier, under a home directory. */
export const dataDirUnder = (home) => join(home, ".local/share/dev.convoy.runbook");

const built = new Map();

/**
 * Builds the packages with scripts/package.sh (once per version per process);
 * `{ deb, rpm }`, absolute paths. `CONVOY_PACKAGE_DEB` (and `CONVOY_PACKAGE_RPM`)
 * name packages already built for the default version, as tests/package/run.sh does.
 */
export function buildPackage({ version } = {}) {
  const key = version ?? "";
  if (!version && process.env.CONVOY_PACKAGE_DEB) {
    return { deb: process.env.CONVOY_PACKAGE_DEB, rpm: process.env.CONVOY_PACKAGE_RPM ?? null };
  }
  if (!built.has(key)) {
    const args = [join(root, "scripts/package.sh"), ...(version ? ["--version", version] : [])];
    const out = execFileSync("bash", args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const paths = out.split("\n").filter(Boolean);
    const deb = paths.find((p) => p.endsWith(".deb"));
    if (!deb) throw new Error(`scripts/package.sh printed no .deb:\n${out}`);
    built.set(key, { deb, rpm: paths.find((p) => p.endsWith(".rpm")) ?? null });
  }
  return built.get(key);
}

function run(command, args, options = {}) {
  return execFileSync(command, args, {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    stdio: ["ignore", "pipe", "pipe"],
    ...options,
  });
}

/** A control field of a .deb file (`Package`, `Version`, `Depends`, …). */
export function debField(deb, field) {
  return run("dpkg-deb", ["--field", deb, field]).trim();
}

/** Every regular file and link a .deb installs, as absolute paths. */
export function debFiles(deb) {
  return run("dpkg-deb", ["--contents", deb])
    .split("\n")
    .filter((line) => /^[-lh]/.test(line))
    .map(
      (line) =>
        `/${line
          .split(/\s+/)
          .slice(5)
          .join(" ")
          .replace(/^\.?\//, "")
          .replace(/ -> .*$/, "")}`,
    );
}

/** The installed version of the package, or null if it is not installed. */
export function installedVersion(name = packageName) {
  try {
    const out = run("dpkg-query", [
      "--show",
      "--showformat",
      dpkgFormat("db:Status-Status", " ", "Version"),
      name,
    ]);
    const [status, version] = out.trim().split(" ");
    return status === "installed" ? version : null;
  } catch {
    return null;
  }
}

/** Installs a .deb the way a user does, dependencies included (`apt-get install ./x.deb`). */
export function installDeb(deb) {
  run("apt-get", ["install", "--yes", "--no-install-recommends", deb.startsWith("/") ? deb : `./${deb}`]);
  return debField(deb, "Package");
}

/** `apt-get remove` (or `purge`) of the package; a no-op if it is not installed. */
export function removePackage({ name = packageName, purge = false } = {}) {
  if (installedVersion(name) === null && !purge) return;
  run("apt-get", [purge ? "purge" : "remove", "--yes", name]);
}

/** A fresh home directory (with its own runtime dir) for one user of the installed app. */
export function makeHome() {
  const home = mkdtempSync(join(tmpdir(), "runbook-home-"));
  mkdirSync(join(home, "runtime"), { mode: 0o700 });
  return home;
}

/** The environment of a user whose home is `home`: nothing of the checkout's, nothing of the caller's XDG dirs. */
export function userEnvironment(home) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("XDG_") || key.startsWith("CONVOY_") || key.startsWith("npm_") || key === "INIT_CWD") {
      delete env[key];
    }
  }
  return {
    ...env,
    HOME: home,
    XDG_RUNTIME_DIR: join(home, "runtime"),
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  };
}

/**
 * Launches the installed app (`binary`, /usr/bin/runbook) through tauri-driver
 * under `home`, from inside `home`, as launchApp does the debug build. Returns
 * launchApp's handle (the WebdriverIO session, the shell's process, `tree()`,
 * the shell and everything below it, now), with `record()`: every process of
 * the tree met so far, recorded now and on close. `close()` fails if the app
 * outlives its session.
 */
export async function launchInstalled({ home, binary = installedBinary, env = {} } = {}) {
  const app = await launchApp({
    binary,
    env,
    baseEnv: userEnvironment(home),
    cwd: home,
    marker: `HOME=${home}`,
    failIfOutlived: true,
  });
  const seen = new Map();
  const record = () => {
    for (const entry of app.tree())
      if (!seen.has(`${entry.pid}:${entry.start}`)) seen.set(`${entry.pid}:${entry.start}`, entry);
    return [...seen.values()];
  };
  record();
  return {
    ...app,
    home,
    record,
    async close() {
      record();
      await app.close();
    },
  };
}

/** Where a process runs from: its executable, and its command line. */
export function describeProcess({ pid }) {
  let exe = "";
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // Gone, or a kernel thread.
  }
  return { pid, exe, commandLine: commandLine(pid) };
}

const packagePrograms = [installedBinary, installedSidecar];

/**
 * Fails, naming each survivor, unless none of `entries` runs, no process carries
 * `home` in its environment, and nothing runs the package's programs, within `timeout`.
 */
export async function assertNothingRunning({ entries = [], home, timeout = 10_000, after = "quit" } = {}) {
  const survivors = () => {
    const left = entries.filter(isAlive);
    if (home) left.push(...withEnvironment(`HOME=${home}`));
    for (const entry of processTable()) {
      const { exe } = describeProcess(entry);
      if (packagePrograms.includes(exe) || packagePrograms.some((p) => exe === `${p} (deleted)`))
        left.push(entry);
    }
    const unique = new Map(left.filter((e) => e.pid !== process.pid).map((e) => [e.pid, e]));
    return [...unique.values()];
  };
  await waitFor(() => survivors().length === 0, {
    timeout,
    message: `nothing left running after ${after}`,
  }).catch(() => {
    const left = survivors().map((e) => {
      const { pid, exe, commandLine: line } = describeProcess(e);
      return `${pid} ${exe} ${line}`;
    });
    throw new Error(`still running ${timeout} ms after ${after}:\n${left.join("\n")}`);
  });
}

/** Files of `deb` still on disk (after a remove there must be none). */
export function leftoverFiles(deb) {
  return debFiles(deb).filter((path) => existsSync(path));
}

export function removeHome(home) {
  rmSync(home, { recursive: true, force: true });
}
