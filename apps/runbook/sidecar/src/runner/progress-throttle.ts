/**
 * Coalesces one job's progress (or status) values: at most one event per interval, the
 * first at once, and the last value always sent (after the interval, or by
 * `flush()` when the job ends). Time and timers are injected, so it is tested
 * without waiting.
 */

export interface Clock {
  now(): number;
  /** Runs `callback` after `ms`; the returned function cancels it. */
  schedule(callback: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  schedule: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

/** Values are told apart by `key`; one equal to the last sent is not sent again. */
export class ProgressThrottle<T = number> {
  readonly #emit: (value: T) => void;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #key: (value: T) => unknown;
  #lastSent: unknown = null;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #pending: { value: T } | null = null;
  #cancelTimer: (() => void) | null = null;

  constructor(
    emit: (value: T) => void,
    intervalMs: number,
    clock: Clock = systemClock,
    key: (value: T) => unknown = (value) => value,
  ) {
    this.#emit = emit;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#key = key;
  }

  push(value: T): void {
    if (this.#pending === null && this.#key(value) === this.#lastSent) return;
    const wait = this.#lastSentAt + this.#intervalMs - this.#clock.now();
    if (wait <= 0 && this.#cancelTimer === null) {
      this.#send(value);
      return;
    }
    this.#pending = { value };
    this.#cancelTimer ??= this.#clock.schedule(() => {
      this.#cancelTimer = null;
      this.#sendPending();
    }, wait);
  }

  /** Sends a value still held back, now. */
  flush(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#sendPending();
  }

  #sendPending(): void {
    const pending = this.#pending;
    this.#pending = null;
    if (pending !== null && this.#key(pending.value) !== this.#lastSent) this.#send(pending.value);
  }

  #send(value: T): void {
    this.#lastSent = this.#key(value);
    this.#lastSentAt = this.#clock.now();
    this.#emit(value);
  }
}
