/**
 * Moves one of a job's pipes into its output stream: reads continuously,
 * decodes UTF-8 as a stream (a character cut between two reads survives),
 * and writes what it read at once when nothing was written in the last
 * `flushMs` (a line of a quiet job goes out with no delay); otherwise it
 * batches, writing when the batch reaches `maxBytes` or has waited `flushMs`. It
 * does not read while a write is under way, so a job that floods output is
 * held back by its full pipe instead of filling the worker's memory.
 */

export interface PumpOptions {
  /** Writes a batch; the pump waits for it before reading on. */
  write: (text: string) => Promise<void>;
  flushMs: number;
  maxBytes: number;
  /** Stops reading (the pipe is cancelled) and writes what was read. */
  stop?: AbortSignal;
}

type ReadResult = { done: true; value?: undefined } | { done: false; value: Uint8Array };
type Next = { kind: "read"; result: ReadResult } | { kind: "flush" };

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
  let lastWriteAt = Number.NEGATIVE_INFINITY;

  const flush = async () => {
    if (batch === "") return;
    const text = batch;
    batch = "";
    batchBytes = 0;
    lastWriteAt = performance.now();
    await options.write(text);
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
      const timer = batch === "" ? null : flushTimer(batchStartedAt + options.flushMs - performance.now());
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
      if (batchBytes >= options.maxBytes || performance.now() - lastWriteAt >= options.flushMs) await flush();
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

function flushTimer(ms: number): { fired: Promise<Next>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fired = new Promise<Next>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "flush" }), Math.max(0, ms));
  });
  return { fired, cancel: () => clearTimeout(timer) };
}
