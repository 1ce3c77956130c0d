// Runbook's api as the shell runs it: `bun src/main.ts migrate`, then
// `bun src/main.ts api` with a temporary data directory, a free loopback port
// and a 256-bit token in its environment, its stdin a pipe from us.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "@convoy/testing";

const bun = fileURLToPath(new URL("../../../node_modules/.bin/bun", import.meta.url));
const sidecarDir = fileURLToPath(new URL("../../../apps/runbook/sidecar/", import.meta.url));
const READY_TIMEOUT_MS = 20_000;

/** Every child started here, SIGKILLed if the test process exits with one still running. */
const running = new Set();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function startSidecar(role, env) {
  const child = spawn(bun, ["src/main.ts", role], {
    cwd: sidecarDir,
    // Only what the shell passes, plus what bun itself needs.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk) => {
    output.stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  return { child, output, exited };
}

async function waitForReady(sidecar) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!/^convoy:ready port=\d+\n/m.test(sidecar.output.stdout)) {
    if (sidecar.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the api did not become ready:\n${sidecar.output.stdout}${sidecar.output.stderr}`);
    }
    await setTimeout(20);
  }
}

/**
 * Migrates a fresh data directory and starts the api on it. `extraEnv` is for
 * the control run only (e.g. CONVOY_APP_ORIGINS); the attacked api gets none.
 */
export async function startApi(extraEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "convoy-browser-"));
  const migrate = startSidecar("migrate", { CONVOY_DATA_DIR: dataDir });
  migrate.child.stdin.end();
  const migrated = await migrate.exited;
  if (migrated !== 0) throw new Error(`migrate exited with ${migrated}: ${migrate.output.stderr}`);

  const port = await freePort();
  const token = randomBytes(32).toString("hex");
  const sidecar = startSidecar("api", {
    CONVOY_DATA_DIR: dataDir,
    CONVOY_API_PORT: String(port),
    CONVOY_API_TOKEN: token,
    // As the shell sets it: the api stops once our end of its stdin closes,
    // so it cannot outlive this test process even if it is SIGKILLed.
    CONVOY_STDIN_WATCHDOG: "1",
    ...extraEnv,
  });
  await waitForReady(sidecar);
  const base = `http://127.0.0.1:${port}`;

  return {
    base,
    port,
    token,
    output: sidecar.output,
    /** The api's own answer, with the real token. */
    async call(path, init = {}) {
      const response = await fetch(`${base}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, ...init.headers },
      });
      return { status: response.status, body: await response.json() };
    },
    async listJobs() {
      const { status, body } = await this.call("/jobs?limit=200");
      if (status !== 200) throw new Error(`GET /jobs with the token answered ${status}`);
      return body.items;
    },
    async stop() {
      if (sidecar.child.exitCode === null && sidecar.child.signalCode === null) {
        sidecar.child.kill("SIGKILL");
        await sidecar.exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
