/**
 * GET /workers: what the api knows about the worker, read from its heartbeat
 * in Valkey. Valkey being down or absent is a 503 valkey-unavailable problem,
 * distinct from "no worker alive" (200 with a null heartbeat).
 */
import { log, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { isValkeyDown, NO_VALKEY, problem, problemResponses, VALKEY_DOWN } from "../api/problems.ts";
import {
  decodeHeartbeat,
  HEARTBEAT_KEY,
  HEARTBEAT_TTL_MS,
  type Heartbeat,
  HeartbeatSchema,
} from "./heartbeat.ts";

const WorkersSchema = z
  .object({
    // A union, not .nullable(): that would make the Heartbeat component itself nullable.
    heartbeat: z.union([HeartbeatSchema, z.null()]).openapi({
      description: `The worker's last heartbeat; null when none was written in the last ${HEARTBEAT_TTL_MS} ms`,
    }),
  })
  .openapi("Workers");

const getWorkersRoute = createRoute({
  method: "get",
  path: "/workers",
  operationId: "getWorkers",
  responses: {
    200: {
      description: "The worker's heartbeat",
      content: { "application/json": { schema: WorkersSchema } },
    },
    ...problemResponses(401, 403, 500, 503),
  },
});

export function registerWorkerRoutes(app: OpenAPIHono, valkey: ValkeyConnection | null): void {
  app.openapi(getWorkersRoute, async (c) => {
    if (valkey === null) {
      throw problem("valkey-unavailable", { detail: NO_VALKEY });
    }
    let heartbeat: Heartbeat | null;
    try {
      heartbeat = await readHeartbeat(valkey);
    } catch (error) {
      // Anything else (an error reply) is a 500 through the app's error handler.
      if (!isValkeyDown(error)) throw error;
      throw problem("valkey-unavailable", { detail: VALKEY_DOWN });
    }
    return c.json({ heartbeat }, 200);
  });
}

async function readHeartbeat(valkey: ValkeyConnection): Promise<Heartbeat | null> {
  const text = await valkey.get(HEARTBEAT_KEY);
  if (text === null) return null;
  const heartbeat = decodeHeartbeat(text);
  // Not ours to vouch for; the worker overwrites it within a second anyway.
  if (heartbeat === null) log.warn("ignoring a heartbeat that does not parse", { key: HEARTBEAT_KEY });
  return heartbeat;
}
