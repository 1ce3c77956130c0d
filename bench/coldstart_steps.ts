/**
 * Where the api role's cold start goes under Bun, step by step: bench/coldstart.sh
 * runs this in a fresh process several times. It takes the steps `main.ts api`
 * takes (roles/api.ts and serveApi, mirrored here: keep them in step), but
 * imports the module graph one layer at a time, so each layer's share shows,
 * and stops once the ready line is out and a first request answered. Prints one JSON object as its last line:
 * milliseconds since the process started at the end of each step.
 * Needs the api's environment (CONVOY_DATA_DIR on a migrated database, CONVOY_API_PORT,
 * CONVOY_API_TOKEN). Under Bun only: a compiled bundle evaluates its modules
 * in another order, so the layers would not mean the same.
 */
const marks: [string, number][] = [["runtime started, script running", performance.now()]];
const mark = (step: string) => marks.push([step, performance.now()]);

await import("zod");
mark("import zod");
await import("hono");
mark("import hono");
await import("@hono/zod-openapi");
mark("import @hono/zod-openapi");
const runtime = await import("@convoy/sidecar-runtime");
mark("import @convoy/sidecar-runtime");
const { createApp } = await import("../apps/runbook/sidecar/src/api/app.ts");
const { databasePath, openDatabase } = await import("../apps/runbook/sidecar/src/db/database.ts");
const { MIGRATIONS } = await import("../apps/runbook/sidecar/src/db/migrations.ts");
const { assertSchemaCurrent } = await import("../apps/runbook/sidecar/src/db/migrator.ts");
await import("../apps/runbook/sidecar/src/roles/worker.ts");
await import("../apps/runbook/sidecar/src/roles/migrate.ts");
mark("import the sidecar's own modules (routes, schemas, roles)");

const env = runtime.readApiEnv();
mark("read the environment");
const db = openDatabase(databasePath(env.dataDir), { create: false });
assertSchemaCurrent(db, MIGRATIONS);
mark("open SQLite (WAL, pragmas) and check the schema");
const app = createApp({
  db,
  valkey: null,
  token: env.token,
  port: env.port,
  allowedOrigins: env.allowedOrigins,
});
mark("createApp (guard, routes, OpenAPI registry)");
const server = Bun.serve({ hostname: "127.0.0.1", port: env.port, fetch: (request) => app.fetch(request) });
mark("Bun.serve listening");
process.stdout.write(`${runtime.READY_LINE_PREFIX}${server.port}\n`);
mark("the ready line: the process's first process.stdout.write");
const first = await app.fetch(
  new Request(`http://127.0.0.1:${server.port}/health`, { headers: { host: `127.0.0.1:${server.port}` } }),
);
if (first.status !== 200) throw new Error(`GET /health answered ${first.status}`);
await first.text();
mark("the first request, in-process: GET /health");

server.stop(true);
db.close();
console.log(JSON.stringify(Object.fromEntries(marks)));
