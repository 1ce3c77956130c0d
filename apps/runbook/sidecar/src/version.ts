import { open } from "node:fs/promises";
import { log } from "@convoy/sidecar-runtime";
import packageJson from "../package.json" with { type: "json" };

/** Set by scripts/compile-sidecar.sh (`--define`): the version of the app it ships in. */
declare const RUNBOOK_BUILD_VERSION: string | undefined;

/**
 * Runbook's version: the app's, compiled into the executable, so the sidecars
 * of an update report the new version; from package.json when run from source.
 */
export const RUNBOOK_VERSION: string =
  typeof RUNBOOK_BUILD_VERSION === "string" ? RUNBOOK_BUILD_VERSION : packageJson.version;

/**
 * Where this process runs from. On Linux /proc/self/exe stays the running
 * file even after an update replaced the one on disk, so a stale process
 * reports its old build, never the new one.
 */
const RUNNING_EXECUTABLE = process.platform === "linux" ? "/proc/self/exe" : process.execPath;

/**
 * The SHA-256 of a file, hex; read into one buffer over and over, so a 100 MB
 * executable is never held whole, and leaves no garbage behind: a stream's
 * fresh chunks kept ~5 MiB more of each sidecar's heap at idle.
 */
export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  const file = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(256 * 1024);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hasher.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hasher.digest("hex");
}

/** Hashing the compiled executable takes a few hundred ms: kept off the start-up path. */
const REPORT_DELAY_MS = 1500;

/**
 * Logs `build process=<role> pid=… version=… build=<sha256 of the running
 * executable>` once, shortly after start-up, so whoever reads the sidecar's
 * log (the update tests) can tell which build every process runs.
 */
export function reportBuild(
  role: string,
  { delayMs = REPORT_DELAY_MS, executable = RUNNING_EXECUTABLE } = {},
) {
  const timer = setTimeout(() => {
    sha256File(executable).then(
      (build) => log.info("build", { process: role, pid: process.pid, version: RUNBOOK_VERSION, build }),
      (error: unknown) => log.warn("build unknown", { process: role, reason: String(error) }),
    );
  }, delayMs);
  // A report must never keep a stopping process alive.
  timer.unref();
}
