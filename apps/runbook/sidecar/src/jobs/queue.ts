/**
 * The jobs on the wire between the api and the worker, who meet only in
 * Valkey. The single source of every key, field and message both ends use:
 *
 * - `JOB_QUEUE`, a Stream read through the consumer group `JOB_QUEUE_GROUP`:
 *   one entry per job to run (`id`, `command`, and for a template's run
 *   `cwd`, `env` (JSON), `timeout` (seconds), `sealed` (its secrets, sealed
 *   for the worker: secret-seal.ts)). An entry is acknowledged only
 *   once the job has finished, so a job whose worker died stays pending and
 *   the next worker finds it (and reports it interrupted: commands are not
 *   assumed to be safe to run twice).
 * - `jobClaimKey(id)`, set NX by the worker before it starts a job: the api
 *   may enqueue a job twice (it re-sends what it cannot prove was sent), and
 *   a job still runs at most once.
 * - `jobCancelKey(id)`, set by the api to ask for a job to be cancelled;
 *   the worker checks it before it starts a job and while the job runs.
 * - `JOB_EVENTS`, a Stream the worker appends to and the api reads from its
 *   own saved cursor: every change of a job's state (`JobEvent`), applied by
 *   the api to SQLite idempotently.
 * - `jobOutputKey(id)`, a Stream per job: its output in chunks, then one
 *   `end` entry. Readers resume from any entry id, so a window opened late or
 *   a reconnect loses nothing that is still retained. The api trims exactly
 *   what it copied into SQLite, so the stream's length is what is not copied
 *   yet, and the worker writes no more while that is at its backlog limit.
 */
import { z } from "@hono/zod-openapi";

export const JOB_QUEUE = "runbook:jobs:queue";
/**
 * Set once per Valkey data set by the api (a random value): when it is
 * missing, Valkey lost its data (e.g. it restarted without its append-only
 * file), so every job still queued is sent again.
 */
export const JOB_QUEUE_EPOCH = "runbook:jobs:epoch";
export const JOB_QUEUE_GROUP = "workers";
export const JOB_EVENTS = "runbook:jobs:events";
/** Approximate cap of the events stream; the api reads it continuously. */
export const JOB_EVENTS_MAXLEN = 100_000;

export function jobOutputKey(id: string): string {
  return `runbook:job:${id}:output`;
}

export function jobCancelKey(id: string): string {
  return `runbook:job:${id}:cancel`;
}

export function jobClaimKey(id: string): string {
  return `runbook:job:${id}:claim`;
}

/**
 * A hash the worker keeps of the jobs it is running: job id → where to find
 * the job's process group (`RunningJobRecord` in the worker's runner). A
 * worker that starts finds there what a dead one left running, and kills it.
 * Only the worker reads or writes it.
 */
export const JOB_RUNNING = "runbook:jobs:running";

/** How long claim and cancel marks live: far longer than a queue entry waits. */
export const JOB_MARK_TTL_SECONDS = 7 * 24 * 3600;
/** How long a finished job's output is kept. */
export const JOB_OUTPUT_TTL_SECONDS = 30 * 24 * 3600;
/** Most UTF-8 bytes in one output entry. */
export const JOB_OUTPUT_CHUNK_BYTES = 16 * 1024;
/** Most characters (code points) of a job's status line (`::status::…`). */
export const STATUS_LINE_MAX = 200;

/** Fields of a queue entry. */
export interface QueuedJob {
  id: string;
  command: string;
  /** Where it runs; absent: the home directory. */
  cwd?: string | undefined;
  /** Added to its environment (a template's env and its parameters' values, never a secret's). */
  env?: Record<string, string> | undefined;
  /** Stopped, and failed, after this long. */
  timeoutSeconds?: number | undefined;
  /** Its secret parameters' environment, sealed for the worker (secret-seal.ts). */
  sealed?: string | undefined;
}

export function encodeQueuedJob(job: QueuedJob): string[] {
  const fields = ["id", job.id, "command", job.command];
  if (job.cwd !== undefined) fields.push("cwd", job.cwd);
  if (job.env !== undefined && Object.keys(job.env).length > 0) fields.push("env", JSON.stringify(job.env));
  if (job.timeoutSeconds !== undefined) fields.push("timeout", String(job.timeoutSeconds));
  if (job.sealed !== undefined) fields.push("sealed", job.sealed);
  return fields;
}

const EnvSchema = z.record(z.string(), z.string());

/** The job in a queue entry's fields, or null when they are not one. */
export function decodeQueuedJob(fields: readonly string[]): QueuedJob | null {
  const record = fieldRecord(fields);
  const id = record.get("id");
  const command = record.get("command");
  if (id === undefined || command === undefined) return null;
  const job: QueuedJob = { id, command };
  const cwd = record.get("cwd");
  if (cwd !== undefined) job.cwd = cwd;
  const env = record.get("env");
  if (env !== undefined) {
    try {
      const parsed = EnvSchema.safeParse(JSON.parse(env));
      if (!parsed.success) return null;
      job.env = parsed.data;
    } catch {
      return null;
    }
  }
  const timeout = record.get("timeout");
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!Number.isInteger(seconds) || seconds < 1) return null;
    job.timeoutSeconds = seconds;
  }
  const sealed = record.get("sealed");
  if (sealed !== undefined) job.sealed = sealed;
  return job;
}

export const JOB_OUTCOMES = ["succeeded", "failed", "cancelled", "interrupted"] as const;

/**
 * Why a failed run failed when its exit code does not say: its working
 * directory was gone, its command could not be started at all, it ran past
 * its timeout, or its secret values could not reach it.
 */
export const JOB_FAILURES = [
  "working-directory-missing",
  "spawn-failed",
  "timed-out",
  "secrets-unavailable",
] as const;
export type JobFailure = (typeof JOB_FAILURES)[number];
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

const isoTime = z.iso.datetime();

export const JobEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("started"), id: z.string(), at: isoTime, pid: z.number().int().positive() }),
  z.object({
    type: z.literal("progress"),
    id: z.string(),
    at: isoTime,
    progress: z.number().min(0).max(100),
    /** Set when it reported steps (`::progress::3/8`). */
    steps: z.object({ done: z.number().int().min(0), total: z.number().int().min(1) }).optional(),
  }),
  z.object({
    type: z.literal("status"),
    id: z.string(),
    at: isoTime,
    statusLine: z
      .string()
      .min(1)
      .max(STATUS_LINE_MAX * 2),
  }),
  z.object({
    type: z.literal("finished"),
    id: z.string(),
    at: isoTime,
    outcome: z.enum(JOB_OUTCOMES),
    /** The command's exit code; null when a signal ended it or it never ran. */
    exitCode: z.number().int().nullable(),
    /** Why, when the outcome is not the exit code's (e.g. "the worker stopped"). */
    reason: z.string().nullable(),
    /** Why it failed, when its exit code does not say. */
    failure: z.enum(JOB_FAILURES).optional(),
    /** Bytes of output past the run's cap, read and dropped; absent when it never ran. */
    droppedOutputBytes: z.number().int().min(0).optional(),
  }),
]);

export type JobEvent = z.infer<typeof JobEventSchema>;

/** An events stream entry has one field, `event`, holding the JSON. */
export function encodeJobEvent(event: JobEvent): string[] {
  return ["event", JSON.stringify(event)];
}

/** The event in an entry's fields, or null when it is not one (e.g. written by another version). */
export function decodeJobEvent(fields: readonly string[]): JobEvent | null {
  const text = fieldRecord(fields).get("event");
  if (text === undefined) return null;
  try {
    const parsed = JobEventSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export type OutputStream = "stdout" | "stderr";

/** One entry of a job's output stream. */
export type OutputEntry = { kind: "text"; stream: OutputStream; text: string } | { kind: "end" };

/** Fields: `o` (stdout text), `e` (stderr text), or `end`. */
export function encodeOutputEntry(entry: OutputEntry): string[] {
  if (entry.kind === "end") return ["end", "1"];
  return [entry.stream === "stdout" ? "o" : "e", entry.text];
}

export function decodeOutputEntry(fields: readonly string[]): OutputEntry | null {
  const [name, value] = fields;
  if (name === "end") return { kind: "end" };
  if ((name === "o" || name === "e") && value !== undefined) {
    return { kind: "text", stream: name === "o" ? "stdout" : "stderr", text: value };
  }
  return null;
}

/**
 * Control lines: lines of output a job prints to report how far it is, taken
 * out of its output by the worker (never stored or shown as output). A line is
 * one only when it is exactly one of these (a trailing `\r` allowed); any
 * other line, a malformed one included, stays output, so its author sees it:
 *
 * - `::progress::42` or `::progress::42.5`: percent done, 0 to 100
 *   (`::progress::150` stays output);
 * - `::progress::3/8`: 3 of 8 steps done, whole numbers with 0 ≤ N ≤ M and
 *   M ≥ 1 (`::progress::3/0` and `::progress::9/8` stay output);
 * - `::status::Copying files`: a short status line, control characters
 *   removed, trimmed and cut to STATUS_LINE_MAX characters; one with no text
 *   left (`::status::`) stays output.
 */
export const PROGRESS_PREFIX = "::progress::";
export const STATUS_PREFIX = "::status::";

const PERCENT_LINE = /^::progress::(\d{1,3}(?:\.\d+)?)\r?$/;
const STEPS_LINE = /^::progress::(\d{1,9})\/(\d{1,9})\r?$/;
const STATUS_LINE = /^::status::(.*?)\r?$/s;

/** Steps done of a known number of them. */
export interface ProgressSteps {
  done: number;
  total: number;
}

export type ControlLine =
  | { kind: "progress"; progress: number; steps: ProgressSteps | null }
  | { kind: "status"; statusLine: string };

/** What a line of output reports, or null when it is output. */
export function parseControlLine(line: string): ControlLine | null {
  if (line.startsWith(PROGRESS_PREFIX)) {
    const percent = PERCENT_LINE.exec(line);
    if (percent?.[1] !== undefined) {
      const progress = Number(percent[1]);
      return progress <= 100 ? { kind: "progress", progress, steps: null } : null;
    }
    const steps = STEPS_LINE.exec(line);
    if (steps?.[1] === undefined || steps[2] === undefined) return null;
    const done = Number(steps[1]);
    const total = Number(steps[2]);
    if (total < 1 || done > total) return null;
    return { kind: "progress", progress: (done * 100) / total, steps: { done, total } };
  }
  const status = STATUS_LINE.exec(line);
  if (status?.[1] === undefined) return null;
  const statusLine = cleanStatusLine(status[1]);
  return statusLine === "" ? null : { kind: "status", statusLine };
}

/** Without control characters, trimmed, at most STATUS_LINE_MAX code points. */
export function cleanStatusLine(text: string): string {
  const clean = text.replaceAll(/\p{Cc}/gu, "").trim();
  return Array.from(clean).slice(0, STATUS_LINE_MAX).join("").trimEnd();
}

/** Stream entries come as a flat `[name, value, name, value, …]` list. */
function fieldRecord(fields: readonly string[]): Map<string, string> {
  const record = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name !== undefined && value !== undefined) record.set(name, value);
  }
  return record;
}

/** The largest half of a stream id Valkey holds: 2^64 - 1. */
const MAX_ID_HALF = 18_446_744_073_709_551_615n;

/**
 * A cursor `<ms>-<seq>` whose halves may exceed 64 bits, as Valkey takes it:
 * an oversized half becomes the largest there is, so nothing follows it, as
 * nothing follows the id asked for.
 */
export function clampStreamId(id: string): string {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (match?.[1] === undefined || match[2] === undefined) return id;
  const ms = BigInt(match[1]);
  if (ms > MAX_ID_HALF) return `${MAX_ID_HALF}-${MAX_ID_HALF}`;
  return `${ms}-${BigInt(match[2]) > MAX_ID_HALF ? MAX_ID_HALF : BigInt(match[2])}`;
}

/** The smallest stream id after `id` (`<ms>-<seq>`): what XTRIM MINID takes to drop `id` too. */
export function nextStreamId(id: string): string {
  const [ms, seq] = id.split("-");
  return `${ms}-${BigInt(seq ?? "0") + 1n}`;
}

/** One entry of a Stream as XREAD / XREADGROUP / XRANGE answer it. */
export interface StreamEntry {
  id: string;
  /** `[name, value, name, value, …]` */
  fields: string[];
}

/**
 * The entries of an XREAD or XREADGROUP reply for one stream (`[[key,
 * [[id, [fields…]], …]]]`, or null when the BLOCK timed out). Entries whose
 * fields were deleted (XREADGROUP of a trimmed pending entry) have no fields.
 */
export function streamEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const [stream] = reply;
  if (!Array.isArray(stream) || !Array.isArray(stream[1])) return [];
  const entries: StreamEntry[] = [];
  for (const entry of stream[1]) {
    if (!Array.isArray(entry) || typeof entry[0] !== "string") continue;
    const fields = Array.isArray(entry[1]) ? entry[1].filter((field) => typeof field === "string") : [];
    entries.push({ id: entry[0], fields });
  }
  return entries;
}
