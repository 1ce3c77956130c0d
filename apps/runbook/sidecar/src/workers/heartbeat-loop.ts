/**
 * The worker's side of the heartbeat: writes it every HEARTBEAT_INTERVAL_MS
 * while Valkey is up, waits for Valkey while it is down (the connection logs
 * the outage), and stops when asked.
 */
import { log, ValkeyAuthError, type ValkeyConnection, ValkeyError } from "@convoy/sidecar-runtime";
import { pause } from "../roles/role.ts";
import { encodeHeartbeat, HEARTBEAT_INTERVAL_MS, HEARTBEAT_KEY, HEARTBEAT_TTL_MS } from "./heartbeat.ts";

export interface HeartbeatLoopOptions {
  signal: AbortSignal;
  /** Called once, after the first heartbeat Valkey accepted. */
  onFirstBeat: () => void;
}

/** Resolves once `signal` aborts; rejects only when retrying cannot help (Valkey refused the password). */
export async function runHeartbeatLoop(
  valkey: ValkeyConnection,
  options: HeartbeatLoopOptions,
): Promise<void> {
  const { signal } = options;
  let beaten = false;
  let failing = false;
  while (!signal.aborted) {
    try {
      const heartbeat = { pid: process.pid, at: new Date().toISOString() };
      await valkey.set(HEARTBEAT_KEY, encodeHeartbeat(heartbeat), { px: HEARTBEAT_TTL_MS });
      if (!beaten) options.onFirstBeat();
      beaten = true;
      failing = false;
    } catch (error) {
      if (error instanceof ValkeyAuthError || !(error instanceof ValkeyError)) throw error;
      if (valkey.status() === "down") {
        await untilUpOrAborted(valkey, signal);
        continue;
      }
      // Up but refusing the write (e.g. out of memory): say so once per streak.
      if (!failing) log.warn("heartbeat not written", { error: error.message });
      failing = true;
    }
    await pause(HEARTBEAT_INTERVAL_MS, signal);
  }
}

async function untilUpOrAborted(valkey: ValkeyConnection, signal: AbortSignal): Promise<void> {
  try {
    await valkey.untilUp(signal);
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
