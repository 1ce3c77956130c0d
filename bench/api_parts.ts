/**
 * Where a request's time goes inside the api, without a network: bench/api.sh
 * runs this on the database its load test seeded and sets the figures beside
 * the over-the-wire ones. Each part is timed in a tight loop on this thread
 * (median of several batches, after a warm-up), from the SQLite query alone
 * up to the whole app answering `app.fetch(request)`.
 *
 *   bun bench/api_parts.ts --data-dir <migrated and seeded dir> --out <file.json> [--batches 7]
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createApp } from "../apps/runbook/sidecar/src/api/app.ts";
import { databasePath, limitOf, openDatabase } from "../apps/runbook/sidecar/src/db/database.ts";
import { JOB_COLUMNS, JobStore } from "../apps/runbook/sidecar/src/jobs/store.ts";

const { values: args } = parseArgs({
  options: {
    "data-dir": { type: "string" },
    out: { type: "string" },
    batches: { type: "string", default: "7" },
  },
});
if (!args["data-dir"] || !args.out) {
  process.stderr.write("usage: bun bench/api_parts.ts --data-dir <dir> --out <file.json> [--batches 7]\n");
  process.exit(2);
}
const batches = Number(args.batches);
/** Each batch runs for about this long, so fast and slow parts get equal care. */
const BATCH_MS = 200;

const PORT = 4000;
const TOKEN = "b".repeat(64);
const db = openDatabase(databasePath(args["data-dir"]), { create: false });
const store = new JobStore(db);
const app = createApp({ db, valkey: null, token: TOKEN, port: PORT, allowedOrigins: [] });
const page = store.page(20, null);

function request(path: string, authorized: boolean): Request {
  const headers: Record<string, string> = { host: `127.0.0.1:${PORT}` };
  if (authorized) headers.authorization = `Bearer ${TOKEN}`;
  return new Request(`http://127.0.0.1:${PORT}${path}`, { headers });
}

async function answer(path: string, authorized: boolean): Promise<void> {
  const response = await app.fetch(request(path, authorized));
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
  await response.text();
}

interface Part {
  name: string;
  what: string;
  run: () => unknown;
  /** Set-up just before the part is timed (parts run in order). */
  before?: () => void;
}

const parts: Part[] = [
  {
    name: "sqlite",
    what: "the page's SQL alone: `SELECT <the job's columns> … ORDER BY created_at DESC, id DESC LIMIT <21, bound>`, `.all()`, as `JobStore.page` writes it",
    run: () =>
      db
        .query(`SELECT ${JOB_COLUMNS} FROM jobs ORDER BY created_at DESC, id DESC LIMIT ${limitOf("$limit")}`)
        .all({ limit: 21 }),
  },
  {
    name: "store_page",
    what: "`JobStore.page(20)`: the SQL plus mapping rows to jobs",
    run: () => store.page(20, null),
  },
  { name: "json", what: "`JSON.stringify` of that page", run: () => JSON.stringify(page) },
  {
    name: "sqlite_2_rows",
    what: "the same SQL with `LIMIT 2` (what GET /jobs?limit=1 asks)",
    run: () =>
      db
        .query(`SELECT ${JOB_COLUMNS} FROM jobs ORDER BY created_at DESC, id DESC LIMIT ${limitOf("$limit")}`)
        .all({ limit: 2 }),
  },
  {
    name: "sqlite_plain_limit",
    what: "the page's SQL with its LIMIT bound plainly (`LIMIT $limit`, 21): what `limitOf` in `db/database.ts` avoids",
    run: () =>
      db
        .query(`SELECT ${JOB_COLUMNS} FROM jobs ORDER BY created_at DESC, id DESC LIMIT $limit`)
        .all({ limit: 21 }),
  },
  {
    name: "sqlite_pragma",
    what: "`PRAGMA user_version` (what GET /health reads)",
    run: () => db.query("PRAGMA user_version").get(),
  },
  {
    name: "token_check",
    what: "the guard's token check: SHA-256 of the presented token",
    run: () => createHash("sha256").update(TOKEN).digest(),
  },
  {
    name: "hello",
    what: 'the floor\'s handler: `new Response("Hello, world!")`, read back',
    run: () => new Response("Hello, world!").text(),
  },
  {
    name: "app_health",
    what: "`app.fetch` GET /health (guard, router, one PRAGMA)",
    run: () => answer("/health", false),
  },
  {
    name: "app_jobs_1",
    what: "`app.fetch` GET /jobs?limit=1 (+ token, query validation, 2 rows)",
    run: () => answer("/jobs?limit=1", true),
  },
  {
    name: "app_jobs_20",
    what: "`app.fetch` GET /jobs?limit=20 (the load test's request, in-process)",
    run: () => answer("/jobs?limit=20", true),
  },
  {
    name: "app_jobs_20_without_sqlite",
    what: "the same with `JobStore.page` answering the same page from memory: everything but the database",
    run: () => answer("/jobs?limit=20", true),
    before: () => {
      JobStore.prototype.page = () => page;
    },
  },
];

/** µs per call over one batch of about BATCH_MS. */
async function batch(run: () => unknown, calls: number): Promise<number> {
  const start = Bun.nanoseconds();
  for (let i = 0; i < calls; i++) {
    const outcome = run();
    if (outcome instanceof Promise) await outcome;
  }
  return (Bun.nanoseconds() - start) / 1000 / calls;
}

const results = [];
for (const part of parts) {
  part.before?.();
  // Warm up the JIT, and size a batch to about BATCH_MS.
  const perCallUs = await batch(part.run, 2000);
  const calls = Math.max(100, Math.round((BATCH_MS * 1000) / perCallUs));
  const samples: number[] = [];
  for (let i = 0; i < batches; i++) samples.push(await batch(part.run, calls));
  results.push({ name: part.name, what: part.what, calls_per_batch: calls, us_per_call: samples });
  const sorted = [...samples].sort((a, b) => a - b);
  process.stderr.write(`${part.name}: ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)} µs\n`);
}
db.close();
writeFileSync(args.out, `${JSON.stringify({ phase: "parts", bun: Bun.version, parts: results }, null, 2)}\n`);
