/**
 * The api's view of the worker, for tests: queue jobs, set cancel marks, and
 * read back the events and output the worker wrote, through a connection of
 * the test's own (queue.ts is the only contract between the two).
 */
import { randomUUID } from "node:crypto";
import type { ValkeyConnection } from "@convoy/sidecar-runtime";
import { waitFor } from "@convoy/testing";
import {
  decodeJobEvent,
  decodeOutputEntry,
  encodeQueuedJob,
  JOB_EVENTS,
  JOB_MARK_TTL_SECONDS,
  JOB_QUEUE,
  type JobEvent,
  jobCancelKey,
  jobOutputKey,
  streamEntries,
} from "../src/jobs/queue.ts";

export function newJobId(): string {
  return randomUUID();
}

export async function enqueue(valkey: ValkeyConnection, id: string, command: string): Promise<string> {
  const reply = await valkey.command(["XADD", JOB_QUEUE, "*", ...encodeQueuedJob({ id, command })]);
  if (typeof reply !== "string") throw new Error("XADD did not answer an id");
  return reply;
}

export async function requestCancel(valkey: ValkeyConnection, id: string): Promise<void> {
  await valkey.command(["SET", jobCancelKey(id), "1", "EX", String(JOB_MARK_TTL_SECONDS)]);
}

/** Every event on the stream (for `id` when given), in stream order. */
export async function readEvents(valkey: ValkeyConnection, id?: string): Promise<JobEvent[]> {
  const reply = await valkey.command(["XRANGE", JOB_EVENTS, "-", "+"]);
  const entries = Array.isArray(reply) ? streamEntries([[JOB_EVENTS, reply]]) : [];
  const events: JobEvent[] = [];
  for (const entry of entries) {
    const event = decodeJobEvent(entry.fields);
    if (event === null) throw new Error(`undecodable event ${entry.id}`);
    if (id === undefined || event.id === id) events.push(event);
  }
  return events;
}

type Finished = Extract<JobEvent, { type: "finished" }>;

/** Polls until `id` has a `finished` event; returns all of its events. */
export async function waitForFinished(
  valkey: ValkeyConnection,
  id: string,
  timeoutMs = 10_000,
): Promise<{ events: JobEvent[]; finished: Finished }> {
  const events = await waitForEvent(valkey, id, (event) => event.type === "finished", timeoutMs);
  const finished = events.find((event): event is Finished => event.type === "finished");
  if (finished === undefined) throw new Error("unreachable");
  return { events, finished };
}

/** Polls until one of `id`'s events matches; returns all of its events so far. */
export async function waitForEvent(
  valkey: ValkeyConnection,
  id: string,
  match: (event: JobEvent) => boolean,
  timeoutMs = 10_000,
): Promise<JobEvent[]> {
  let events: JobEvent[] = [];
  return waitFor(
    async () => {
      events = valkey.status() === "up" ? await readEvents(valkey, id).catch(() => []) : [];
      return events.some(match) && events;
    },
    { timeout: timeoutMs, interval: 25, message: `an event of ${id}` },
  ).catch((error) => {
    throw new Error(`${error.message}; got ${JSON.stringify(events)}`);
  });
}

export interface JobOutputText {
  stdout: string;
  stderr: string;
  /** Whether the last entry is the `end` entry (and the only one). */
  ended: boolean;
  endCount: number;
  entries: number;
  /** Largest entry text, in UTF-8 bytes. */
  largestEntryBytes: number;
}

export async function readOutput(valkey: ValkeyConnection, id: string): Promise<JobOutputText> {
  const key = jobOutputKey(id);
  const output: JobOutputText = {
    stdout: "",
    stderr: "",
    ended: false,
    endCount: 0,
    entries: 0,
    largestEntryBytes: 0,
  };
  let from = "-";
  for (;;) {
    const reply = await valkey.command(["XRANGE", key, from, "+", "COUNT", "1000"]);
    const entries = Array.isArray(reply) ? streamEntries([[key, reply]]) : [];
    for (const entry of entries) {
      const decoded = decodeOutputEntry(entry.fields);
      if (decoded === null) throw new Error(`undecodable output entry ${entry.id}`);
      output.entries += 1;
      output.ended = decoded.kind === "end";
      if (decoded.kind === "end") {
        output.endCount += 1;
        continue;
      }
      output.largestEntryBytes = Math.max(output.largestEntryBytes, Buffer.byteLength(decoded.text));
      output[decoded.stream] += decoded.text;
    }
    const last = entries.at(-1);
    if (last === undefined || entries.length < 1000) return output;
    from = `(${last.id}`;
  }
}

/** The pid printed by a job as `<name>=<pid>` on its stdout. */
export async function waitForPrintedPid(
  valkey: ValkeyConnection,
  id: string,
  name: string,
  timeoutMs = 5000,
): Promise<number> {
  const pattern = new RegExp(`^${name}=(\\d+)$`, "m");
  const pid = await waitFor(async () => pattern.exec((await readOutput(valkey, id)).stdout)?.[1], {
    timeout: timeoutMs,
    interval: 25,
    message: `job ${id} to print ${name}=`,
  });
  return Number(pid);
}
