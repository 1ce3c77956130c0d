/**
 * A Tauri app driven through tauri-driver, for the benchmarks whose figures
 * come from the real webview: a data dir of its own, the WebDriver session,
 * the shell's pid (to read its process tree from /proc), and a close that
 * leaves nothing of it running.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type DriverSession, openDriverSession, waitFor } from "@convoy/testing";
import { withEnvironment } from "./environ.ts";
import { alive, exeName } from "./proc.ts";

export interface DrivenApp {
  browser: DriverSession["browser"];
  /** The app's shell process (WebKitWebDriver starts it; its web process is below it). */
  shell: number;
  dataDir: string;
  /** Ends the session, then the app (SIGTERM after 5 s, SIGKILL after 10 more), then the driver. */
  close(): Promise<void>;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Starts `binary` through tauri-driver with `env` and a fresh CONVOY_DATA_DIR. */
export async function driveApp(binary: string, env: Record<string, string> = {}): Promise<DrivenApp> {
  const dataDir = mkdtempSync(join(tmpdir(), "convoy-bench-"));
  // tauri-driver and WebKitWebDriver carry the marker too: the shell is the one running `binary`.
  const marker = `CONVOY_DATA_DIR=${dataDir}`;
  const isShell = (pid: number) => exeName(pid) === basename(binary);
  let session: DriverSession | undefined;
  let shell: number;
  try {
    session = await openDriverSession({ binary, env: { ...env, CONVOY_DATA_DIR: dataDir } });
    shell = await waitFor(() => withEnvironment(marker).find(isShell), { message: "the app's process" });
  } catch (error) {
    await session?.close();
    for (const pid of withEnvironment(marker)) if (isShell(pid)) signal(pid, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const opened = session;
  const gone = (timeout: number) =>
    waitFor(() => !alive(shell), { timeout, message: "the app to exit" }).catch(() => false);
  return {
    browser: opened.browser,
    shell,
    dataDir,
    async close() {
      // Ending the session closes the app's windows, which ends the app.
      await opened.endSession();
      if (!(await gone(5_000))) {
        signal(shell, "SIGTERM");
        if (!(await gone(10_000))) signal(shell, "SIGKILL");
      }
      await opened.stopDriver();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
