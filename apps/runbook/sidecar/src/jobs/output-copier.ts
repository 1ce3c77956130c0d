/**
 * Copies each job's output from its Valkey stream into SQLite as the job
 * runs, then drops from Valkey what is copied: Valkey keeps only the part
 * not copied yet, and the history is whole in SQLite however long the job
 * runs and whatever becomes of Valkey. While this copier does not run (the
 * api is down), the worker stops reading a job once its stream holds its
 * backlog limit, so the job waits and nothing is trimmed uncopied.
 *
 * Readers stay whole while entries move: a reader reads Valkey, then looks
 * in SQLite (JobOutputReader), and an entry leaves Valkey only after it is
 * in SQLite, so whatever a reader's Valkey read missed, its SQLite read has.
 */
import { setImmediate } from "node:timers/promises";
import type { ValkeyConnection } from "@convoy/sidecar-runtime";
import { pause } from "../roles/role.ts";
import type { CopiedEntry, OutputStore, UncopiedJob } from "./output-store.ts";
import { decodeOutputEntry, jobOutputKey, nextStreamId, streamEntries } from "./queue.ts";
import { runValkeyLoop } from "./valkey-loop.ts";

/** How often running jobs' output is copied. */
export const COPY_INTERVAL_MS = 1000;
/**
 * Most entries read from a stream, and stored, at once. Splitting and
 * indexing lines takes about 0.15 s per MiB of log text, in the api's one
 * thread: 100 entries (at most 1.6 MiB) keep a transaction near a quarter
 * second (a held thread past 2 s times out Valkey commands), and requests
 * are served between them.
 */
const COPY_BATCH = 100;
/** Batches of old runs' chunks split into lines per pass (splitPending). */
const PENDING_BATCHES_PER_PASS = 10;

/** Copies output every `intervalMs` until `signal` aborts; Valkey being down only delays it. */
export function runOutputCopier(
  store: OutputStore,
  valkey: ValkeyConnection,
  signal: AbortSignal,
  intervalMs = COPY_INTERVAL_MS,
): Promise<void> {
  const loop = { valkey, signal, failing: "job output not copied", retryMs: intervalMs };
  return runValkeyLoop(loop, async () => {
    await copyOutput(store, valkey);
    await pause(intervalMs, signal);
  });
}

/**
 * One pass: everything each job's stream holds beyond what is copied; then
 * a few runs copied before lines were kept are split into lines.
 */
export async function copyOutput(store: OutputStore, valkey: ValkeyConnection): Promise<void> {
  for (const job of store.uncopied()) await copyJob(store, valkey, job);
  // Requests are served between batches.
  for (let batch = 0; batch < PENDING_BATCHES_PER_PASS && store.splitPending() > 0; batch++)
    await setImmediate();
}

async function copyJob(store: OutputStore, valkey: ValkeyConnection, job: UncopiedJob): Promise<void> {
  const key = jobOutputKey(job.id);
  let cursor = job.copied;
  for (;;) {
    const reply = await valkey.command(["XREAD", "COUNT", String(COPY_BATCH), "STREAMS", key, cursor]);
    const entries = streamEntries(reply);
    const copied: CopiedEntry[] = [];
    let ended = false;
    for (const entry of entries) {
      const decoded = decodeOutputEntry(entry.fields);
      if (decoded?.kind === "text") copied.push({ id: entry.id, stream: decoded.stream, text: decoded.text });
      else if (decoded?.kind === "end") ended = true;
    }
    // A job that had ended before this pass began wrote everything first.
    const complete = ended || (job.ended && entries.length === 0);
    const last = entries.at(-1)?.id ?? cursor;
    if (entries.length > 0 || complete) store.add(job.id, copied, last, complete);
    cursor = last;
    if (complete) {
      // Every entry is in SQLite: readers read it there.
      await valkey.command(["UNLINK", key]);
      return;
    }
    if (entries.length < COPY_BATCH) {
      // Exactly, not `~` (whole nodes only): the worker reads what is left as
      // not copied yet, and holds the job back while that is at its limit.
      if (entries.length > 0) await valkey.command(["XTRIM", key, "MINID", nextStreamId(cursor)]);
      return;
    }
  }
}
