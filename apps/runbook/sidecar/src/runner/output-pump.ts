/**
 * Moves one of a job's pipes into its output stream: reads continuously,
 * decodes UTF-8 as a stream (a character cut between two reads survives),
 * and writes what it read as soon as the pipe has nothing more ready (a read
 * that does not complete within one turn of the event loop), so a line goes
 * out with no delay. Only under load does it batch: once `burstWrites` writes
 * went out within `flushMs`, a batch is written when it reaches `maxBytes` or
 * has waited `flushMs`, so a chatty job costs a few Valkey entries per
 * `flushMs`, not one per line. It does not read while a write is under way,
 * so a job that floods output is held back by its full pipe instead of
 * filling the worker's memory.
 */

import { splitUtf8 } from "../jobs/utf8.ts";

export interface PumpOptions {
  /** Writes a batch; the pump waits for it before reading on. */
  write: (text: string) => Promise<void>;
  flushMs: number;
  maxBytes: number;
  /** Writes that may go out at once within `flushMs` before batching starts. */
  burstWrites: number;
  /** Stops reading (the pipe is cancelled) and writes what was read. */
  stop?: AbortSignal;
}

type ReadResult = { done: true; value?: undefined } | { done: false; value: Uint8Array };
type Next = { kind: "read"; result: ReadResult } | { kind: "flush" };

const FLUSH: Next = { kind: "flush" };

export async function pumpOutput(source: ReadableStream<Uint8Array>, options: PumpOptions): Promise<void> {
  const reader = source.getReader();
  const decoder = new TextDecoder();
  // Cancelling ends a pending read as done. (Not a promise raced on every
  // read: a never-settled one would keep every raced result, every chunk, alive.)
  let stopped = false;
  const stop = () => {
    stopped = true;
    reader.cancel().catch(() => {});
  };
  if (options.stop?.aborted) stop();
  else options.stop?.addEventListener("abort", stop, { once: true });
  let batch = "";
  let batchBytes = 0;
  let batchStartedAt = 0;
  // When the last `burstWrites` writes went out, oldest first.
  const recentWrites: number[] = [];
  const underLoad = () =>
    recentWrites.length >= options.burstWrites &&
    performance.now() - (recentWrites[0] as number) < options.flushMs;

  const flush = async () => {
    if (batch === "") return;
    const text = batch;
    batch = "";
    batchBytes = 0;
    recentWrites.push(performance.now());
    if (recentWrites.length > options.burstWrites) recentWrites.shift();
    // One read can hand over more than a pipe's worth (the runtime coalesces
    // reads, 512 KiB seen); it is written in pieces of at most `maxBytes`.
    for (const piece of splitUtf8(text, options.maxBytes)) await options.write(piece);
  };
  const take = (text: string, bytes: number) => {
    if (text === "") return;
    if (batch === "") batchStartedAt = performance.now();
    batch += text;
    batchBytes += bytes;
  };

  let read: Promise<Next> = reader
    .read()
    .then((result): Next => ({ kind: "read", result: result as ReadResult }));
  try {
    for (;;) {
      // With a batch waiting: written once the pipe has nothing more ready
      // (a chunk already read by the runtime wins the race against the next
      // turn of the event loop), or under load once it is `flushMs` old.
      const timer =
        batch === ""
          ? null
          : underLoad()
            ? flushTimer(batchStartedAt + options.flushMs - performance.now())
            : nextTurn();
      const next = await (timer === null ? read : Promise.race([read, timer.fired]));
      timer?.cancel();
      if (next.kind === "flush") {
        // The read in flight stays pending; at most one more chunk is held meanwhile.
        await flush();
        continue;
      }
      if (next.result.done) break;
      take(decoder.decode(next.result.value, { stream: true }), next.result.value.byteLength);
      if (stopped) break;
      if (batchBytes >= options.maxBytes) await flush();
      read = reader.read().then((result): Next => ({ kind: "read", result: result as ReadResult }));
    }
  } finally {
    options.stop?.removeEventListener("abort", stop);
    // With a read still pending (a write failed), releasing rejects it; nothing waits on it.
    read.catch(() => {});
    try {
      reader.releaseLock();
    } catch {}
  }
  take(decoder.decode(), 0);
  await flush();
}

interface FlushTimer {
  fired: Promise<Next>;
  cancel: () => void;
}

function flushTimer(ms: number): FlushTimer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fired = new Promise<Next>((resolve) => {
    timer = setTimeout(() => resolve(FLUSH), Math.max(0, ms));
  });
  return { fired, cancel: () => clearTimeout(timer) };
}

/** Fires on the event loop's next turn, after any I/O that is ready now. */
function nextTurn(): FlushTimer {
  let immediate: ReturnType<typeof setImmediate> | undefined;
  const fired = new Promise<Next>((resolve) => {
    immediate = setImmediate(() => resolve(FLUSH));
  });
  return { fired, cancel: () => clearImmediate(immediate) };
}
