/**
 * What a worker does before it takes new work: the jobs a previous worker
 * was running when it died are still pending for this consumer. None is run
 * again (a command is not assumed safe to run twice): what is left of its
 * processes is killed, and it is reported interrupted.
 */
import { log, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { decodeQueuedJob, JOB_QUEUE, JOB_QUEUE_GROUP, JOB_RUNNING, streamEntries } from "../jobs/queue.ts";
import { type OrderedWrites, OutputWriter, untilWritten } from "./durable-writes.ts";
import { JOB_ID_VARIABLE } from "./job-env.ts";
import { ackCommand, finishCommands, forgetRunningCommand, JOB_QUEUE_CONSUMER } from "./job-events.ts";
import { decodeRunningJob, killOrphanedGroup } from "./process-group.ts";

const PAGE = 100;
export const INTERRUPTED_REASON = "the worker running it stopped before it finished";

export interface RecoveryContext {
  valkey: ValkeyConnection;
  writes: OrderedWrites;
  abandon: AbortSignal;
  /** Recovery gives up (to be done by the next start) when the worker is asked to stop. */
  signal: AbortSignal;
}

/** Reports every pending job interrupted and kills what is left of it; false if stopped first. */
export async function recoverPendingJobs(context: RecoveryContext): Promise<boolean> {
  const { valkey, signal } = context;
  const recovered = new Set<string>();
  let cursor = "0";
  for (;;) {
    const read = await untilWritten(valkey, signal, "pending jobs read", () =>
      valkey.command([
        "XREADGROUP",
        "GROUP",
        JOB_QUEUE_GROUP,
        JOB_QUEUE_CONSUMER,
        "COUNT",
        String(PAGE),
        "STREAMS",
        JOB_QUEUE,
        cursor,
      ]),
    );
    if (!read.done) return false;
    const entries = streamEntries(read.value);
    if (entries.length === 0) break;
    for (const entry of entries) {
      const id = await recoverEntry(context, entry.id, entry.fields);
      if (id === null && signal.aborted) return false;
      if (id !== null) recovered.add(id);
      cursor = entry.id;
    }
  }
  return forgetStaleRecords(context, recovered);
}

/** The job id of the entry it reported, or null. */
async function recoverEntry(
  context: RecoveryContext,
  entryId: string,
  fields: readonly string[],
): Promise<string | null> {
  const { valkey, writes, signal } = context;
  const job = decodeQueuedJob(fields);
  if (job === null) {
    // Trimmed from the stream, or not a job: nothing to report it as.
    log.warn("pending queue entry skipped: not a job", { entry: entryId });
    await writes.push("queue ack", [ackCommand(entryId)]);
    return null;
  }
  const found = await untilWritten(valkey, signal, "running job read", () =>
    valkey.command(["HGET", JOB_RUNNING, job.id]),
  );
  if (!found.done) return null;
  if (typeof found.value === "string") cleanUp(job.id, found.value);
  await new OutputWriter(valkey, job.id, context.abandon).end();
  const finish = { outcome: "interrupted" as const, exitCode: null, reason: INTERRUPTED_REASON };
  const landed = await writes.push("job end", finishCommands(job.id, entryId, finish));
  log.info("job finished", { id: job.id, outcome: finish.outcome, exitCode: "none", reason: finish.reason });
  return landed ? job.id : null;
}

/** Records whose queue entry was acknowledged before the record was removed. */
async function forgetStaleRecords(
  context: RecoveryContext,
  recovered: ReadonlySet<string>,
): Promise<boolean> {
  const { valkey, writes, signal } = context;
  const all = await untilWritten(valkey, signal, "running jobs read", () =>
    valkey.command(["HGETALL", JOB_RUNNING]),
  );
  if (!all.done) return false;
  const flat = Array.isArray(all.value) ? all.value : [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const id = flat[i];
    const text = flat[i + 1];
    if (typeof id !== "string" || recovered.has(id)) continue;
    if (typeof text === "string") cleanUp(id, text);
    await writes.push("running job record removal", [forgetRunningCommand(id)]);
  }
  return !signal.aborted;
}

function cleanUp(jobId: string, recordText: string): void {
  const record = decodeRunningJob(recordText);
  if (record === null) {
    log.warn("running job record unreadable; its processes, if any, are left alone", { id: jobId });
    return;
  }
  const result = killOrphanedGroup(record, jobId, JOB_ID_VARIABLE);
  if (result === "killed") log.info("orphaned job processes killed", { id: jobId, pgid: record.pgid });
  else if (result === "unverifiable") {
    log.warn("orphaned job processes not checked (no /proc here)", { id: jobId, pgid: record.pgid });
  }
}
