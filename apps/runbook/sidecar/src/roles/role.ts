/**
 * What every role of the sidecar executable is: it runs until its work is
 * done or `signal` asks it to stop, then resolves. Failures are thrown as
 * typed errors; the entry point alone maps them to exit codes.
 */
export type Role = (context: { signal: AbortSignal }) => Promise<void>;

export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Resolves after `ms`, or as soon as `signal` aborts, whichever comes first. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
