import { setTimeout } from "node:timers/promises";

/**
 * Calls `predicate` every `interval` ms until it returns (or resolves to) a
 * truthy value, and resolves with that value; rejects naming `message` once
 * `timeout` ms have passed.
 */
export async function waitFor(predicate, { timeout = 10_000, interval = 50, message = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${message}`);
    await setTimeout(interval);
  }
}
