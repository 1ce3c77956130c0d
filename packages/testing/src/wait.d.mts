export interface WaitOptions {
  /** How long to keep trying, in ms (10 000). */
  timeout?: number;
  /** The pause between two calls, in ms (50). */
  interval?: number;
  /** What is awaited, for the error ("condition"). */
  message?: string;
}

/**
 * Calls `predicate` until it returns (or resolves to) a truthy value and
 * resolves with that value; rejects after `timeout` ms.
 */
export function waitFor<T>(
  predicate: () => T | PromiseLike<T>,
  options?: WaitOptions,
): Promise<Exclude<Awaited<T>, null | undefined | false | 0 | "">>;
