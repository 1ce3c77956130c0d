/**
 * Applies the worker's job events to SQLite, from the cursor the api saved
 * with the last one applied, so nothing is missed or applied twice across
 * restarts of either side.
 */
import { log, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { decodeJobEvent, JOB_EVENTS, type JobEvent, streamEntries } from "./queue.ts";
import type { JobChange, JobStore } from "./store.ts";
import { runValkeyLoop } from "./valkey-loop.ts";

const BLOCK_MS = 1000;
const BATCH = 500;
/** After a failed read while Valkey is up (e.g. a reply error). */
const RETRY_MS = 500;

/**
 * Reads and applies events until `signal` aborts. `valkey` must be a
 * connection of its own: the read blocks it for up to a second at a time, so
 * it is closed as `signal` aborts, to end a blocked read at once.
 */
export function runJobEvents(
  store: JobStore,
  valkey: ValkeyConnection,
  signal: AbortSignal,
  onChanges: (changes: JobChange[]) => void,
): Promise<void> {
  signal.addEventListener("abort", () => valkey.close(), { once: true });
  const loop = { valkey, signal, failing: "job events not read", retryMs: RETRY_MS };
  return runValkeyLoop(loop, async () => {
    const reply = await valkey.command(
      [
        "XREAD",
        "COUNT",
        String(BATCH),
        "BLOCK",
        String(BLOCK_MS),
        "STREAMS",
        JOB_EVENTS,
        store.eventsCursor(),
      ],
      { timeoutMs: BLOCK_MS + 2000 },
    );
    const entries = streamEntries(reply);
    const last = entries.at(-1);
    if (last === undefined) return;
    const events: JobEvent[] = [];
    for (const entry of entries) {
      const event = decodeJobEvent(entry.fields);
      if (event === null) log.warn("job event skipped: not one this api understands", { entry: entry.id });
      else events.push(event);
    }
    const changes = store.applyEvents(events, last.id);
    if (changes.length > 0) onChanges(changes);
  });
}
