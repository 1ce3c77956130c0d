/**
 * The worker's heartbeat on the wire, shared by both ends: the worker writes
 * it to Valkey every second with a short expiry, the api reads it back. A key
 * that has expired means no worker has been alive for HEARTBEAT_TTL_MS.
 */
import { z } from "@hono/zod-openapi";

export const HEARTBEAT_KEY = "runbook:worker:heartbeat";
export const HEARTBEAT_INTERVAL_MS = 1000;
/** Several intervals, so one slow beat does not make a live worker look dead. */
export const HEARTBEAT_TTL_MS = 5000;

export const HeartbeatSchema = z
  .object({
    pid: z.number().int().positive().openapi({ description: "The worker's process id" }),
    at: z.iso.datetime().openapi({ description: "When the worker last wrote its heartbeat" }),
  })
  .openapi("Heartbeat");

export type Heartbeat = z.infer<typeof HeartbeatSchema>;

export function encodeHeartbeat(heartbeat: Heartbeat): string {
  return JSON.stringify({ pid: heartbeat.pid, at: heartbeat.at });
}

/** The heartbeat in `text`, or null when it is not one (e.g. written by another version). */
export function decodeHeartbeat(text: string): Heartbeat | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = HeartbeatSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
