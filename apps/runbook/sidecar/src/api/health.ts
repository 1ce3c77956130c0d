/**
 * GET /health: the shell's readiness probe, the only route without a token.
 * It answers 200 whenever the api itself is alive, Valkey or not.
 */
import type { Database } from "bun:sqlite";
import type { ValkeyConnection } from "@convoy/sidecar-runtime";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { schemaVersion } from "../db/migrator.ts";
import { RUNBOOK_VERSION } from "../version.ts";
import { problemResponses } from "./problems.ts";

const HealthSchema = z
  .object({
    status: z.literal("ok"),
    version: z.string(),
    schemaVersion: z.number().int(),
    valkey: z.enum(["up", "down", "disabled"]).openapi({
      description: "The api's connection to Valkey; disabled when the api runs without one",
    }),
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  security: [],
  responses: {
    200: { description: "The api is up", content: { "application/json": { schema: HealthSchema } } },
    ...problemResponses(403, 500),
  },
});

export function registerHealthRoute(app: OpenAPIHono, db: Database, valkey: ValkeyConnection | null): void {
  app.openapi(healthRoute, (c) =>
    c.json(
      {
        status: "ok" as const,
        version: RUNBOOK_VERSION,
        // Reading the schema version also proves the database still answers.
        schemaVersion: schemaVersion(db),
        // The connection's state, not a round trip: the probe stays instant.
        valkey: valkey === null ? ("disabled" as const) : valkey.status(),
      },
      200,
    ),
  );
}
