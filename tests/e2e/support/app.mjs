// Starts the debug app under tauri-driver with its own data directory, and
// gives the tests a WebdriverIO session on it.
import { spawn } from "node:child_process";
import { mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";
import { commandLine, descendants, isAlive, waitFor, withEnvironment } from "./processes.mjs";

const cacheDir = process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache");
export const appBinary =
  process.env.APP_BIN ??
  join(process.env.CARGO_TARGET_DIR ?? join(cacheDir, "convoy/target"), "debug/runbook");

export const bunBinary = fileURLToPath(new URL("../../../node_modules/.bin/bun", import.meta.url));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Launches Runbook (or another app's debug build, `binary`) through tauri-driver.
 * `env` is added to the app's environment (tauri-driver and WebKitWebDriver pass
 * theirs on to the app).
 */
export async function launchApp({ env = {}, prepare, binary = appBinary } = {}) {
  const isShell = (pid) => isProgram(pid, binary);
  const dataDir = mkdtempSync(join(tmpdir(), "runbook-e2e-"));
  await prepare?.(dataDir);
  const marker = `CONVOY_DATA_DIR=${dataDir}`;
  const port = await freePort();
  const nativePort = await freePort();
  const driverLog = [];
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: { ...process.env, ...env, CONVOY_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [driver.stdout, driver.stderr]) {
    stream.on("data", (chunk) => driverLog.push(chunk.toString()));
  }
  const stopDriver = async () => {
    driver.stdout.destroy();
    driver.stderr.destroy();
    driver.kill("SIGTERM");
    await new Promise((resolve) => (driver.exitCode !== null ? resolve() : driver.once("exit", resolve)));
  };
  let browser;
  let shell;
  try {
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/status`).then(
          () => true,
          () => false,
        ),
      { timeout: 15_000, message: "tauri-driver to listen" },
    );

    browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "silent",
      connectionRetryCount: 0,
      capabilities: {
        "wdio:enforceWebDriverClassic": true,
        "tauri:options": { application: binary },
      },
    });

    // The shell is the process running our binary with this launch's data dir.
    shell = await waitFor(
      () =>
        withEnvironment(marker).find(
          ({ pid }) =>
            pid !== driver.pid && !descendants(pid).some((d) => d.pid === driver.pid) && isShell(pid),
        ),
      { message: "the app process" },
    );
  } catch (error) {
    // No session, or no app: nothing but the driver (and an app it started) may be left;
    // the app's sidecars die with it.
    await browser?.deleteSession().catch(() => {});
    for (const { pid } of withEnvironment(marker)) if (isShell(pid)) signal(pid, "SIGKILL");
    await stopDriver();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  return {
    browser,
    dataDir,
    marker,
    shell,
    driverLog,
    /** The shell and everything below it, right now. */
    tree: () => [shell, ...descendants(shell.pid)],
    async close() {
      await browser.deleteSession().catch(() => {});
      // Ending the session closes the app's windows, which ends the app; if it
      // has not gone in 5 s, stop it (SIGTERM, then SIGKILL) so no test run
      // leaves an app behind or waits forever on its output pipes.
      const gone = () => !isAlive(shell);
      if (!(await waitFor(gone, { timeout: 5_000 }).catch(() => false))) {
        console.error(`close: the app (${shell.pid}) outlived its session; sending SIGTERM`);
        signal(shell.pid, "SIGTERM");
        if (!(await waitFor(gone, { timeout: 10_000 }).catch(() => false))) signal(shell.pid, "SIGKILL");
      }
      await stopDriver();
      rmSync(dataDir, { recursive: true, force: true });
    },
    alive: (entries) => entries.filter(isAlive),
    /** Waits until none of `entries` runs; fails naming the survivors. */
    async waitGone(entries, { timeout = 10_000, after = "the app stopped" } = {}) {
      await waitFor(() => entries.filter(isAlive).length === 0, {
        timeout,
        message: `every process to exit (${after})`,
      }).catch(() => {
        const left = entries.filter(isAlive).map(({ pid }) => `${pid} ${commandLine(pid)}`);
        throw new Error(`still running ${timeout} ms after ${after}:\n${left.join("\n")}`);
      });
    },
  };
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function isProgram(pid, binary) {
  try {
    return readlinkSync(`/proc/${pid}/exe`).endsWith(`/${basename(binary)}`);
  } catch {
    return false;
  }
}

/** Calls a shell command from inside the page, as the UI does; `{ ok, value | error }`. */
export async function invoke(browser, command, args = {}) {
  // Crosses WebDriver as a JSON string: a rejected promise or an object with a
  // `type` field would otherwise be taken for a WebDriver error.
  const json = await browser.execute(
    (name, payload) =>
      window.__TAURI_INTERNALS__.invoke(name, payload).then(
        (value) => JSON.stringify({ ok: true, value: value ?? null }),
        (error) => JSON.stringify({ ok: false, error }),
      ),
    command,
    args,
  );
  return JSON.parse(json);
}

/**
 * Makes the window showing `hash` (e.g. "#/settings", "" for the main window)
 * WebDriver's current window, waiting for it to appear; returns its handle.
 */
export function switchToWindow(browser, hash, timeout = 15_000) {
  return waitFor(
    async () => {
      for (const handle of await browser.getWindowHandles()) {
        await browser.switchToWindow(handle);
        if ((await browser.execute(() => window.location.hash)) === hash) return handle;
      }
      return null;
    },
    { timeout, message: `the window at "${hash}"` },
  );
}
