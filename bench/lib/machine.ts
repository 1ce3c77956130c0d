/**
 * What every record says about where it was measured: the machine (CPU,
 * cores, memory, kernel), how busy it was before and after (load averages a
 * benchmark's script saved in its working dir), the versions of what ran, and
 * the commit.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";

export interface Machine {
  date: string;
  cpu: string | null;
  cores: number;
  memory_gib: number;
  kernel: string;
  load_average_before: number[] | null;
  load_average_after: number[] | null;
  git_head: string | null;
  [version: string]: string | number | number[] | null;
}

/** The first line a command prints (stdout, else stderr), or null if it cannot run. */
export function firstLine(...command: string[]): string | null {
  const [program, ...args] = command;
  if (program === undefined) return null;
  const out = spawnSync(program, args, { encoding: "utf8", timeout: 30_000 });
  if (out.error) return null;
  const text = (out.stdout || out.stderr || "").trim();
  return text === "" ? null : (text.split("\n")[0] as string);
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** The 1, 5 and 15 min load averages a benchmark saved in `<work>/loadavg-<when>`. */
export function loadAverage(work: string, when: "before" | "after"): number[] | null {
  const text = readText(join(work, `loadavg-${when}`));
  if (text === null) return null;
  const values = text.trim().split(/\s+/).slice(0, 3).map(Number);
  return values.length === 3 && values.every(Number.isFinite) ? values : null;
}

/** When the measuring started (`<work>/recorded-at`), else now. */
export function recordedAt(work: string): string {
  return readText(join(work, "recorded-at"))?.trim() || new Date().toISOString().replace(/\.\d+Z$/, "+00:00");
}

/** The machine, its load, `versions` (name → version line or path), then the commit. */
export function machineInfo(work: string, versions: Record<string, string | null>): Machine {
  return {
    date: recordedAt(work),
    cpu: cpus()[0]?.model.trim() ?? null,
    cores: cpus().length,
    memory_gib: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    load_average_before: loadAverage(work, "before"),
    load_average_after: loadAverage(work, "after"),
    ...versions,
    git_head: firstLine("git", "rev-parse", "--short", "HEAD"),
  };
}

/** A Debian package's installed version, or null. */
export function dpkgVersion(name: string): string | null {
  // dpkg-query's own field syntax, not a template.
  const format = ["-f=$", "{Version}"].join("");
  return firstLine("dpkg-query", "-W", format, name);
}

/** The version of `crate` in the tree's Cargo.lock, or null. */
export function lockedVersion(root: string, crate: string): string | null {
  const lock = readText(join(root, "Cargo.lock")) ?? "";
  const escaped = crate.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`name = "${escaped}"\\nversion = "([^"]+)"`).exec(lock)?.[1] ?? null;
}

/** The machine of a desktop benchmark: also rustc, Tauri, wry, WebKitGTK and Xvfb. */
export function desktopMachine(
  work: string,
  root: string,
  extra: Record<string, string | null> = {},
): Machine {
  return machineInfo(work, {
    rustc: firstLine("rustc", "--version"),
    tauri: lockedVersion(root, "tauri"),
    wry: lockedVersion(root, "wry"),
    webkit2gtk: dpkgVersion("libwebkit2gtk-4.1-0"),
    xvfb: dpkgVersion("xvfb"),
    ...extra,
  });
}

const list = (values: number[] | null) => (values === null ? "None" : `[${values.join(", ")}]`);

/** The sentence a desktop report opens with. */
export function machineLine(m: Machine): string {
  return (
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, Linux ${m.kernel}, load average (1, 5, 15 min) ` +
    `before ${list(m.load_average_before)}, after ${list(m.load_average_after)}. ` +
    `${m.rustc}; Tauri ${m.tauri} (wry ${m.wry}); WebKitGTK ${m.webkit2gtk}; Xvfb ${m.xvfb}.`
  );
}
