/**
 * Process groups of jobs, and telling ours from a stranger's. Each job leads
 * its own group (setsid), so one signal to `-pgid` reaches everything it
 * started that did not leave the group. A group id outlives nothing: once a
 * dead worker's job is gone, its id may name someone else's processes, so a
 * recorded group is killed only after /proc proves it is still the job's
 * (Linux; elsewhere a recorded group is left alone).
 */
import { readdirSync, readFileSync } from "node:fs";

/** Where a running job's processes are, as the worker records it in Valkey. */
export interface RunningJobRecord {
  pgid: number;
  /** The leader's start time (clock ticks after boot, from /proc), or null where unknown. */
  startTime: string | null;
}

export function encodeRunningJob(record: RunningJobRecord): string {
  return JSON.stringify({ pgid: record.pgid, startTime: record.startTime });
}

/** The record in `text`, or null when it is not one. */
export function decodeRunningJob(text: string): RunningJobRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { pgid, startTime } = value as Record<string, unknown>;
  if (typeof pgid !== "number" || !Number.isInteger(pgid) || pgid <= 1) return null;
  if (startTime !== null && (typeof startTime !== "string" || !/^\d+$/.test(startTime))) return null;
  return { pgid, startTime };
}

/** Sends `signal` to every process of group `pgid`; false when none is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  // Never let a bad id turn into kill(0) (our own group) or kill(-1) (everything).
  if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`not a process group id: ${pgid}`);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (errorCode(error) === "ESRCH") return false;
    throw error;
  }
}

interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
  startTime: string;
}

/** /proc/<pid>/stat, or null when the process is gone or this is not Linux. */
function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const [state, , pgrp] = fields;
  const startTime = fields[19];
  if (state === undefined || pgrp === undefined || startTime === undefined) return null;
  return { pid, state, pgrp: Number(pgrp), startTime };
}

/** The start time of a live process, or null when it is gone, a zombie, or this is not Linux. */
export function processStartTime(pid: number): string | null {
  const stat = readStat(pid);
  return stat === null || stat.state === "Z" ? null : stat.startTime;
}

/** Whether `pid` is a live process (not a zombie), as far as /proc tells. */
export function isAlive(pid: number): boolean {
  return processStartTime(pid) !== null;
}

/** Live (non-zombie) members of group `pgid`, from /proc. */
function groupMembers(pgid: number): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const members: ProcStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat !== null && stat.pgrp === pgid && stat.state !== "Z") members.push(stat);
  }
  return members;
}

/** Whether process `pid` was started with `RUNBOOK_JOB_ID=<jobId>` in its environment. */
function carriesJobId(pid: number, jobId: string, variable: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    return environ.split("\0").includes(`${variable}=${jobId}`);
  } catch {
    return false;
  }
}

export type OrphanCleanup = "killed" | "gone" | "not ours" | "unverifiable";

/**
 * Kills what is left of a dead worker's job `jobId`, recorded as `record`,
 * when /proc shows it is still that job's: its leader alive with the recorded
 * start time, or (the leader gone) a member started no earlier that carries
 * the job's id in its environment.
 */
export function killOrphanedGroup(record: RunningJobRecord, jobId: string, variable: string): OrphanCleanup {
  if (process.platform !== "linux" || record.startTime === null) return "unverifiable";
  const members = groupMembers(record.pgid);
  if (members.length === 0) return "gone";
  const recorded = BigInt(record.startTime);
  const leader = members.find((member) => member.pid === record.pgid);
  const ours =
    leader !== undefined
      ? leader.startTime === record.startTime
      : members.some(
          (member) => BigInt(member.startTime) >= recorded && carriesJobId(member.pid, jobId, variable),
        );
  if (!ours) return "not ours";
  return signalGroup(record.pgid, "SIGKILL") ? "killed" : "gone";
}

function errorCode(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
}
