// Starts the debug app (or another Tauri app) under tauri-driver, and gives the
// tests a WebdriverIO session on it and its process tree.
import { mkdtempSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDriverSession, waitFor } from "@convoy/testing";
import { commandLine, descendants, isAlive, withEnvironment } from "./processes.mjs";

const cacheDir = process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache");
export const appBinary =
  process.env.APP_BIN ??
  join(process.env.CARGO_TARGET_DIR ?? join(cacheDir, "convoy/target"), "debug/runbook");

export const bunBinary = fileURLToPath(new URL("../../../node_modules/.bin/bun", import.meta.url));

/**
 * Launches Runbook's debug build (or `binary`) through tauri-driver. `env` is
 * added to `baseEnv` (the caller's environment) for the driver, which passes it
 * on to the app; the driver and the app run from `cwd`.
 *
 * `marker` is a `KEY=value` in the environment of this launch's processes only,
 * by which the shell is found. Without one, the app gets a fresh data dir
 * (`CONVOY_DATA_DIR`, handed to `prepare` first, removed on close) as its marker.
 *
 * `close()` ends the session, which ends the app; an app still running 10 s
 * later is stopped, and with `failIfOutlived` close() then fails.
 */
export async function launchApp({
  binary = appBinary,
  env = {},
  baseEnv = process.env,
  cwd,
  marker,
  prepare,
  failIfOutlived = false,
} = {}) {
  const program = realpathSync(binary);
  const isShell = (pid) => isProgram(pid, program);
  let dataDir = null;
  if (marker === undefined) {
    dataDir = mkdtempSync(join(tmpdir(), "runbook-e2e-"));
    marker = `CONVOY_DATA_DIR=${dataDir}`;
    env = { ...env, CONVOY_DATA_DIR: dataDir };
  }
  const removeDataDir = () => dataDir && rmSync(dataDir, { recursive: true, force: true });
  const killShells = () => {
    for (const { pid } of withEnvironment(marker)) if (isShell(pid)) signal(pid, "SIGKILL");
  };

  let session;
  let shell;
  try {
    if (dataDir) await prepare?.(dataDir);
    session = await openDriverSession({ binary, env, baseEnv, cwd });
    // The shell is the process running our binary with this launch's marker.
    shell = await waitFor(() => withEnvironment(marker).find(({ pid }) => isShell(pid)), {
      message: "the app process",
    });
  } catch (error) {
    // No session, or no app: nothing but the driver (and an app it started) may be left;
    // the app's sidecars die with it.
    await session?.endSession();
    killShells();
    await session?.stopDriver();
    removeDataDir();
    const said = session?.driverLog.join("").trim();
    throw said ? new Error(`${error.message}\ntauri-driver said:\n${said}`, { cause: error }) : error;
  }

  return {
    browser: session.browser,
    dataDir,
    marker,
    shell,
    driverLog: session.driverLog,
    /** The shell and everything below it, right now. */
    tree: () => [shell, ...descendants(shell.pid)],
    async close() {
      await session.endSession();
      // Ending the session closes the app's windows, which ends the app; if it
      // has not gone in 10 s, stop it (SIGTERM, then SIGKILL) so no test run
      // leaves an app behind or waits forever on its output pipes.
      const gone = () => !isAlive(shell);
      const outlived = !(await waitFor(gone, { timeout: 10_000 }).catch(() => false));
      if (outlived) {
        console.error(`close: the app (${shell.pid}) outlived its session; sending SIGTERM`);
        signal(shell.pid, "SIGTERM");
        if (!(await waitFor(gone, { timeout: 10_000 }).catch(() => false))) signal(shell.pid, "SIGKILL");
      }
      await session.stopDriver();
      removeDataDir();
      if (outlived && failIfOutlived) throw new Error(`the app (${shell.pid}) outlived its session`);
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

/** Whether `pid` runs the executable at `program` (a resolved path). */
function isProgram(pid, program) {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === program;
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
