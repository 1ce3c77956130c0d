import type { ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import type { Browser } from "webdriverio";

export interface DriverSessionOptions {
  /** The app's executable, tauri:options.application. */
  binary: string;
  /** Added to `baseEnv` for tauri-driver, which passes it on to the app. */
  env?: Record<string, string | undefined>;
  /** The environment `env` is added to (the caller's, process.env). */
  baseEnv?: Record<string, string | undefined>;
  /** The driver's (and so the app's) working directory. */
  cwd?: string;
  /** More W3C capabilities; `tauri:options` entries are added to `application`. */
  capabilities?: Record<string, unknown> & { "tauri:options"?: Record<string, unknown> };
  /** WebdriverIO's log level ("silent"). */
  logLevel?: "trace" | "debug" | "info" | "warn" | "error" | "silent";
}

export interface DriverSession {
  browser: Browser;
  /** tauri-driver's WebDriver port. */
  port: number;
  /** The tauri-driver process. */
  driver: ChildProcessByStdio<null, Readable, Readable>;
  /** What tauri-driver has printed so far, in chunks. */
  driverLog: string[];
  /** Deletes the session (which closes the app's windows); once, whatever the outcome. */
  endSession(): Promise<void>;
  /** Stops tauri-driver and waits for it to exit; once. */
  stopDriver(): Promise<void>;
  /** endSession(), then stopDriver(). */
  close(): Promise<void>;
}

/**
 * Starts tauri-driver on two free ports, waits until it answers /status and
 * opens a WebdriverIO session (WebDriver classic) on `binary`. On failure the
 * driver is stopped and the error carries what it printed.
 */
export function openDriverSession(options: DriverSessionOptions): Promise<DriverSession>;
