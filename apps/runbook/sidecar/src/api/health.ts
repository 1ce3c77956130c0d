/**
 * GET /health: the shell's readiness probe, the only route without a token.
 */
import type { Database } from "bun:sqlite";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { schemaVersion } from "../db/migrator.ts";
import { RUNBOOK_VERSION } from "../version.ts";
import { problemResponses } from "./problems.ts";

const HealthSchema = z
  .object({
    status: z.literal("ok"),
    version: z.string(),
    schemaVersion: z.number().int(),
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

export function registerHealthRoute(app: OpenAPIHono, db: Database): void {
  // Reading the schema version also proves the database still answers.
  app.openapi(healthRoute, (c) =>
    c.json({ status: "ok" as const, version: RUNBOOK_VERSION, schemaVersion: schemaVersion(db) }, 200),
  );
}
