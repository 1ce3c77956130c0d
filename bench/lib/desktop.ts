/**
 * Launching the release builds of Runbook and of the empty Tauri baseline on
 * an X display, reading the start-up line each app reports, stopping them with
 * nothing left behind, and naming the processes of their trees (Linux: /proc).
 * Shared by startup.ts and memory.ts.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ParseArgsConfig } from "node:util";
import { desktopMachine, firstLine, type Machine, machineLine } from "./machine.ts";
import { alive, cmdline, descendants, exeName } from "./proc.ts";
import { recordedLine } from "./report.ts";

/** Printed once by each app's `startup_report` command (the app's
 * features/app/startup.rs and bench/baselines/empty-tauri/src/main.rs). */
const STARTUP_LINE = /convoy:startup (?<milestone>[a-z-]+)-ms=(?<ms>[0-9.]+) unix-ms=(?<unixMs>[0-9]+)/;
/** Printed by Runbook when every sidecar is ready, before the main window
 * shows: it tells the sidecars' share of start-up from the page's. */
const SIDECARS_LINE = /convoy:launch sidecars-ready-ms=(?<ms>[0-9.]+)/;

export type AppName = "runbook" | "empty-tauri";

export interface App {
  name: AppName;
  binary: string;
  env: Record<string, string>;
}

export interface Launch {
  app: App;
  proc: ChildProcess;
  pid: number;
  /** The wall clock (ms since the epoch) just before the spawn. */
  spawnedUnixMs: number;
  work: string;
  report: string;
  stderr: string;
}

/** The app's start-up line, parsed. */
export interface Reported {
  milestone: string;
  in_app_ms: number;
  from_spawn_ms: number;
  /** When every sidecar was ready, in the app (Runbook only). */
  sidecars_ready_ms?: number;
}

/** The options every desktop benchmark takes (for `reportArgs({extra})`): the two apps and the display. */
export const APP_OPTIONS = {
  runbook: { type: "string" },
  empty: { type: "string" },
  sidecar: { type: "string" },
  display: { type: "string" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** Runbook (with its compiled sidecar) and the empty Tauri app, from APP_OPTIONS' values. */
export function appsFrom(values: Record<string, unknown>): {
  runbook: App;
  empty: App;
  display: string;
  sidecar: string;
} {
  const need = (key: string): string => {
    const value = values[key];
    if (typeof value !== "string" || value === "") throw new Error(`--${key} is required`);
    return value;
  };
  return {
    runbook: { name: "runbook", binary: need("runbook"), env: { CONVOY_SIDECAR: need("sidecar") } },
    empty: { name: "empty-tauri", binary: need("empty"), env: {} },
    display: need("display"),
    sidecar: need("sidecar"),
  };
}

/** The wall clock in ms with sub-ms precision (Date.now() is whole ms). */
export const unixMs = (): number => performance.timeOrigin + performance.now();

/** Starts `app` on `display` with a fresh data directory of its own under `workRoot`. */
export function launch(app: App, display: string, workRoot: string): Launch {
  const work = mkdtempSync(join(workRoot, `${app.name}-`));
  const report = join(work, "startup.txt");
  const stderr = join(work, "stderr.txt");
  const env = {
    ...process.env,
    ...app.env,
    DISPLAY: display,
    CONVOY_STARTUP_REPORT: report,
    CONVOY_DATA_DIR: join(work, "data"),
  };
  const err = openSync(stderr, "w");
  const spawnedUnixMs = unixMs();
  // A session of its own, as a desktop launcher starts an app.
  const proc = spawn(app.binary, [], { env, stdio: ["ignore", "ignore", err], detached: true });
  closeSync(err);
  if (proc.pid === undefined) throw new Error(`${app.name}: could not spawn ${app.binary}`);
  return { app, proc, pid: proc.pid, spawnedUnixMs, work, report, stderr };
}

const exited = (run: Launch): boolean => run.proc.exitCode !== null || run.proc.signalCode !== null;

/** The last lines of a file (the app's stderr), for error messages. */
export function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Waits for the app's start-up line (polling its report file every 5 ms,
 * calling `onPoll` first each time) and parses it. */
export async function waitReported(
  run: Launch,
  { timeoutMs = 90_000, onPoll }: { timeoutMs?: number; onPoll?: () => void } = {},
): Promise<Reported> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    onPoll?.();
    const text = readText(run.report);
    const line = STARTUP_LINE.exec(text)?.groups;
    if (line) {
      const result: Reported = {
        milestone: line.milestone as string,
        in_app_ms: Number(line.ms),
        from_spawn_ms: Math.round((Number(line.unixMs) - run.spawnedUnixMs) * 10) / 10,
      };
      const sidecars = SIDECARS_LINE.exec(text)?.groups;
      if (sidecars) result.sidecars_ready_ms = Number(sidecars.ms);
      return result;
    }
    if (exited(run)) {
      throw new Error(
        `${run.app.name} exited (${run.proc.exitCode ?? run.proc.signalCode}) before reporting start-up: ${tail(run.stderr)}`,
      );
    }
    await sleep(5);
  }
  throw new Error(
    `${run.app.name} did not report start-up within ${timeoutMs / 1000} s: ${tail(run.stderr)}`,
  );
}

async function waitExit(run: Launch, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!exited(run) && performance.now() < deadline) await sleep(20);
  return exited(run);
}

/** SIGTERM to the shell (the app stops its sidecars), SIGKILL after 15 s;
 * then SIGKILL to whatever of its tree is still there 5 s later. Removes the
 * run's files unless `keep`. Returns the pids that had to be killed. */
export async function stop(run: Launch, { keep = false }: { keep?: boolean } = {}): Promise<number[]> {
  const tree = [run.pid, ...descendants(run.pid)];
  if (!exited(run)) {
    run.proc.kill("SIGTERM");
    if (!(await waitExit(run, 15_000))) {
      run.proc.kill("SIGKILL");
      await waitExit(run, 5_000);
    }
  }
  const deadline = performance.now() + 5_000;
  while (performance.now() < deadline && tree.some(alive)) await sleep(50);
  const left = tree.filter(alive);
  for (const pid of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  if (!keep) rmSync(run.work, { recursive: true, force: true });
  return left;
}

/** Stops the run and says so when part of its tree outlived it. */
export async function stopAndNote(run: Launch): Promise<void> {
  const left = await stop(run);
  if (left.length > 0) {
    console.log(`  note: ${left.length} process(es) of ${run.app.name} outlived it by 5 s and were killed`);
  }
}

/** What a process of the app is: "shell", WebKit's web or network process,
 * "valkey", "sidecar <role>", or "?" when it is gone. */
export function role(pid: number): string {
  const exe = exeName(pid);
  if (exe === null) return "?";
  const args = cmdline(pid);
  if (exe === "runbook" || exe === "empty-tauri") return "shell";
  if (exe.startsWith("WebKit")) return exe;
  if (exe.includes("redis") || exe.includes("valkey")) return "valkey";
  if (exe.startsWith("runbook-sidecar") || exe === "bun") {
    const roles = args.slice(1).filter((a) => a === "api" || a === "worker" || a === "migrate");
    return roles.length > 0 ? `sidecar ${roles.at(-1)}` : "sidecar";
  }
  return exe;
}

/**
 * The lines a desktop report opens with: its title, a warning when it is a
 * smoke run (`smoke`: what the run was, e.g. "one launch of each"), when and
 * at which commit `script` recorded it, and the machine with Valkey's version.
 */
export function reportOpening(title: string, script: string, smoke: string | null, m: Machine): string[] {
  const warning =
    smoke === null
      ? []
      : [`**Smoke run** (${smoke}): checks the benchmark works; the figures mean nothing.`, ""];
  return [`# ${title}`, "", ...warning, recordedLine(m, script), "", `${machineLine(m)} ${m.valkey}.`];
}

/**
 * The record's machine once the launches are done: saves the load average
 * after them (`<work>/loadavg-after`), then the desktop machine and versions
 * with Valkey's version and the sidecar the launches ran.
 */
export function appsMachine(work: string, root: string, sidecar: string): Machine {
  writeFileSync(join(work, "loadavg-after"), readFileSync("/proc/loadavg", "utf8"));
  return desktopMachine(work, root, { valkey: firstLine("redis-server", "--version"), sidecar });
}
