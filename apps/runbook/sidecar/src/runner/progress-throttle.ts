/**
 * Coalesces one job's progress values: at most one event per interval, the
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

export class ProgressThrottle {
  readonly #emit: (value: number) => void;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  #lastSent: number | null = null;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #pending: number | null = null;
  #cancelTimer: (() => void) | null = null;

  constructor(emit: (value: number) => void, intervalMs: number, clock: Clock = systemClock) {
    this.#emit = emit;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  push(value: number): void {
    if (this.#pending === null && value === this.#lastSent) return;
    const wait = this.#lastSentAt + this.#intervalMs - this.#clock.now();
    if (wait <= 0 && this.#cancelTimer === null) {
      this.#send(value);
      return;
    }
    this.#pending = value;
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
    const value = this.#pending;
    this.#pending = null;
    if (value !== null && value !== this.#lastSent) this.#send(value);
  }

  #send(value: number): void {
    this.#lastSent = value;
    this.#lastSentAt = this.#clock.now();
    this.#emit(value);
  }
}
