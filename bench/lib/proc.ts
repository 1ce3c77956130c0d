/**
 * Linux's /proc, as the benchmarks read it: a process's state, parent, start
 * and CPU time, its descendants, its memory (Pss from smaps_rollup, and by
 * mapping from smaps), and the machine's load and CPU time.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { basename } from "node:path";

/** USER_HZ: what /proc/<pid>/stat counts CPU and start time in. */
export const CLOCK_TICKS_PER_S = 100;

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Ticks of CPU time in user and kernel mode. */
  utime: number;
  stime: number;
  /** When it started, in ticks since boot. */
  starttime: number;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

export function readStat(pid: number): ProcStat | null {
  const text = read(`/proc/${pid}/stat`);
  if (text === null) return null;
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return {
    pid,
    comm: text.slice(text.indexOf("(") + 1, close),
    state: fields[0] ?? "?",
    ppid: Number(fields[1]),
    utime: Number(fields[11]),
    stime: Number(fields[12]),
    starttime: Number(fields[19]),
  };
}

/** Running (not gone, not a zombie). */
export function alive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== null && stat.state !== "Z";
}

/** User + system CPU time used so far, in ms, or null once it is gone. */
export function cpuMs(pid: number): number | null {
  const stat = readStat(pid);
  return stat === null ? null : ((stat.utime + stat.stime) * 1000) / CLOCK_TICKS_PER_S;
}

/** Every process's pid. */
export function pids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Every process below `root`, parents before their children. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const stat = readStat(pid);
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** A process's arguments (empty once it is gone). */
export function cmdline(pid: number): string[] {
  return (read(`/proc/${pid}/cmdline`) ?? "").split("\0").filter((arg) => arg !== "");
}

/** The base name of a process's executable, or null. */
export function exeName(pid: number): string | null {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return null;
  }
}

const ROLLUP_KEYS = new Set(["Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem"]);

/** Rss, Pss, Pss_Anon, Pss_File and Pss_Shmem in kB, or null once it is gone. */
export function smapsRollup(pid: number): Record<string, number> | null {
  const text = read(`/proc/${pid}/smaps_rollup`);
  if (text === null) return null;
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [key, rest] = line.split(":", 2);
    if (key !== undefined && rest !== undefined && ROLLUP_KEYS.has(key)) out[key] = Number.parseInt(rest, 10);
  }
  return out;
}

/**
 * Where a process's Pss is (/proc/<pid>/smaps): kB per mapping name (a file's
 * base name, [heap], [stack], or "anonymous"), largest first, `top` of them.
 */
export function pssByMapping(pid: number, top = 10): [string, number][] {
  const text = read(`/proc/${pid}/smaps`);
  if (text === null) return [];
  const totals = new Map<string, number>();
  let name = "anonymous";
  for (const line of text.split("\n")) {
    const first = line.split(/\s+/, 6);
    const head = first[0] ?? "";
    if (head.includes("-") && !head.includes(":") && first.length >= 5) {
      // The first word after the five fixed fields: "(deleted)" and the like are not the name.
      const path = line.trim().split(/\s+/)[5] ?? "";
      name = path.startsWith("/") ? basename(path) : path || "anonymous";
    } else if (head === "Pss:") {
      totals.set(name, (totals.get(name) ?? 0) + Number(first[1]));
    }
  }
  return [...totals.entries()]
    .filter(([, kb]) => kb > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
}

/** The 1, 5 and 15 min load averages now. */
export function loadavg(): number[] {
  return (read("/proc/loadavg") ?? "").trim().split(/\s+/).slice(0, 3).map(Number);
}

/**
 * The machine's CPU time so far, in ticks summed over every core (/proc/stat):
 * busy (all but idle, iowait and steal), steal (time the hypervisor gave this
 * VM's CPUs to someone else) and the total.
 */
export function cpuTimes(): { busy: number; steal: number; total: number } {
  const cpu = (read("/proc/stat") ?? "").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait - steal, steal, total };
}

/** The WebKitWebProcess pids under `root`. */
export function webProcesses(root: number): number[] {
  return descendants(root).filter((pid) => readStat(pid)?.comm.startsWith("WebKitWebProces") === true);
}

/**
 * How the app's web process draws: "direct" when WebKitGTK's compositor is
 * off (`WEBKIT_DISABLE_COMPOSITING_MODE` in its environment, as the supervisor
 * plugin's `rendering` sets it on a machine with no GPU), else "composited".
 */
export function webRendering(root: number): "direct" | "composited" {
  const pid = webProcesses(root)[0];
  if (pid === undefined) throw new Error("no web process under the app");
  const environ = (read(`/proc/${pid}/environ`) ?? "").split("\0");
  return environ.some((entry) => entry.startsWith("WEBKIT_DISABLE_COMPOSITING_MODE="))
    ? "direct"
    : "composited";
}
