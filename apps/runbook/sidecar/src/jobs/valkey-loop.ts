/**
 * How each of the api's loops over Valkey runs (the dispatcher, the events
 * reader, the output copier): while Valkey is down it waits; a run of failed
 * steps is logged once and each retried after a pause; only a refused
 * password or an error not from Valkey ends the loop, thrown.
 */
import { log, ValkeyAuthError, type ValkeyConnection, ValkeyError } from "@convoy/sidecar-runtime";
import { pause } from "../roles/role.ts";

export interface ValkeyLoop {
  valkey: ValkeyConnection;
  signal: AbortSignal;
  /** Logged (with the error) when steps start failing. */
  failing: string;
  /** Between a failed step and the next. */
  retryMs: number;
}

/** Runs `step` again and again until `loop.signal` aborts. */
export async function runValkeyLoop(loop: ValkeyLoop, step: () => Promise<void>): Promise<void> {
  const { valkey, signal } = loop;
  let failing = false;
  while (!signal.aborted) {
    try {
      if (valkey.status() !== "up") await valkey.untilUp(signal);
      await step();
      failing = false;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ValkeyAuthError || !(error instanceof ValkeyError)) throw error;
      if (!failing) log.warn(loop.failing, { error: error.message });
      failing = true;
      await pause(loop.retryMs, signal);
    }
  }
}
