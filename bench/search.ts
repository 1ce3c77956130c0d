// The search benchmark: a real Runbook database with 10,000 runs and about
// 1 GB of output (log lines with timestamps, levels, words, paths, numbers
// and some ANSI colour), built through the copier's own store (OutputStore.add,
// which splits lines and indexes them), then GET /search and the other
// history reads timed through the api's handlers (app.request, no network).
// Reports p50/p95/max per query, the database's size by table and index, and
// the build time. The database is cached under ~/.cache/convoy/bench/, keyed
// by the schema version and the generator's, so reruns reuse it.
//
//   bun bench/search.ts --work DIR --json FILE --md FILE [--smoke]
import type { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createApp } from "../apps/runbook/sidecar/src/api/app.ts";
import { openDatabase } from "../apps/runbook/sidecar/src/db/database.ts";
import { MIGRATIONS } from "../apps/runbook/sidecar/src/db/migrations.ts";
import { migrate } from "../apps/runbook/sidecar/src/db/migrator.ts";
import { OutputStore } from "../apps/runbook/sidecar/src/jobs/output-store.ts";
import { JobStore } from "../apps/runbook/sidecar/src/jobs/store.ts";
import { saveLoadAverage } from "./lib/load.ts";
import { machineInfo } from "./lib/machine.ts";
import { recordedLine, reportArgs, writeReport } from "./lib/report.ts";
import { percentile } from "./lib/stats.ts";
import { fmt, table } from "./lib/table.ts";

const args = reportArgs("search", { extra: { smoke: { type: "boolean", default: false } } });
const work = args.work;
const smoke = args.values.smoke === true;

/** Bump when the generated data changes, so a cached database is rebuilt. */
const GENERATOR_VERSION = 1;
const RUNS = smoke ? 200 : 10_000;
const BYTES_PER_RUN = smoke ? 10_000 : 100_000;
const REPETITIONS = smoke ? 3 : 30;
const AIM_P95_MS = 200;
const ENTRY_CHARS = 16 * 1024;
const RUNS_PER_TRANSACTION = 100;
const TEMPLATES = [1, 2, 3].map((k) => `00000000-0000-7000-8000-00000000000${k}`);
/** In a handful of runs only. */
const RARE_WORD = "zqxjvkw";
const START = Date.parse("2026-01-01T00:00:00.000Z");
const RUN_SPACING_MS = 5 * 60 * 1000;

// A small seeded generator, so every build holds the same text.
let seed = 0x9e3779b9;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const WORDS = (
  "request response worker queue job task copy copied file files directory cache build test tests " +
  "install package module compile compiled link linking download upload sync synced retry retrying " +
  "timeout connection refused reset closed opened started finished failed succeeded skipped warning " +
  "error debug trace info user session token config setting value key index table row rows query " +
  "commit branch merge deploy release version check checked verify verified hash digest bytes " +
  "memory disk cpu network socket port host server client backup restore snapshot volume mount " +
  "image container service process thread signal exit code status done pending running waiting"
).split(" ");
// Many rarer words too (w0…w4999, Zipf-like), so the index has a long tail as real logs do.
const TAIL = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x`);
const word = () => (random() < 0.8 ? pick(WORDS) : (TAIL[Math.floor(TAIL.length * random() ** 3)] as string));
const LEVELS = ["INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR"];
const COLOUR: Record<string, string> = { INFO: "32", DEBUG: "2", WARN: "33", ERROR: "31" };

function logLine(run: number, n: number, at: number, rare: boolean): string {
  const level = pick(LEVELS);
  const stamp = new Date(at + n * 37).toISOString();
  const shown = random() < 0.1 ? `\u001b[${COLOUR[level]}m${level}\u001b[0m` : level;
  const words = Array.from({ length: 3 + Math.floor(random() * 8) }, word).join(" ");
  const path = `/var/lib/runbook/${pick(WORDS)}/${pick(WORDS)}-${Math.floor(random() * 10_000)}.log`;
  const tail =
    random() < 0.02
      ? " connection refused by db01:5432"
      : rare
        ? ` ${RARE_WORD} found`
        : ` in ${Math.floor(random() * 5000)} ms (${Math.floor(random() * 1e7)} bytes)`;
  return `${stamp} ${shown} [run ${run}] ${words} ${path}${tail}\n`;
}

interface Built {
  path: string;
  buildMs: number;
  outputBytes: number;
  lines: number;
  reused: boolean;
}

function build(): Built {
  const cacheDir = join(homedir(), ".cache", "convoy", "bench");
  mkdirSync(cacheDir, { recursive: true });
  // Keyed by the schema (its version and the migrations' text) and the generator.
  const schema = new Bun.CryptoHasher("sha256")
    .update(MIGRATIONS.map((migration) => migration.sql).join("\n"))
    .digest("hex")
    .slice(0, 12);
  const name = `search-schema${MIGRATIONS.length}-${schema}-gen${GENERATOR_VERSION}-${RUNS}x${BYTES_PER_RUN}`;
  const path = join(cacheDir, `${name}.db`);
  const metaPath = join(cacheDir, `${name}.json`);
  if (existsSync(path) && existsSync(metaPath)) {
    return { ...(JSON.parse(readFileSync(metaPath, "utf8")) as Omit<Built, "reused">), path, reused: true };
  }
  const partial = `${path}.partial`;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${partial}${suffix}`, { force: true });
  const started = performance.now();
  const db = openDatabase(partial, { create: true });
  migrate(db, { migrations: MIGRATIONS, backupPath: () => join(work, "unused-backup.db") });
  // A build, not the app: a crash here only means building again.
  db.run("PRAGMA synchronous = OFF");
  const jobs = new JobStore(db);
  const outputs = new OutputStore(db);
  const rareRuns = new Set(
    [17, Math.floor(RUNS / 3), Math.floor(RUNS / 2) + 1, RUNS - 40].filter((r) => r < RUNS),
  );
  let outputBytes = 0;
  let lines = 0;
  let entry = 0;
  for (let first = 0; first < RUNS; first += RUNS_PER_TRANSACTION) {
    db.transaction(() => {
      for (let run = first; run < Math.min(RUNS, first + RUNS_PER_TRANSACTION); run++) {
        const created = START + run * RUN_SPACING_MS;
        const job = jobs.create(
          { command: `make step-${run % 50}`, name: `step ${run % 50}` },
          new Date(created),
        );
        const template = run % 4 === 3 ? null : (TEMPLATES[run % 3] ?? null);
        if (template !== null) {
          db.query("UPDATE jobs SET template_id = ?, template_version = 1 WHERE id = ?").run(
            template,
            job.id,
          );
        }
        const at = (ms: number) => new Date(created + ms).toISOString();
        const failed = run % 7 === 0;
        jobs.applyEvents(
          [
            { type: "started", id: job.id, at: at(100), pid: 1000 + run },
            {
              type: "finished",
              id: job.id,
              at: at(60_000),
              outcome: failed ? "failed" : "succeeded",
              exitCode: failed ? 1 : 0,
              reason: null,
            },
          ],
          `${run + 1}-0`,
        );
        // Run sizes vary (a third to twice the mean), as real runs do.
        const target = Math.floor(BYTES_PER_RUN * (0.33 + random() * 1.67));
        const rareAt = rareRuns.has(run) ? Math.floor(random() * 50) : -1;
        const parts: string[] = [];
        let size = 0;
        for (let n = 0; size < target; n++) {
          const line = logLine(run, n, created, n === rareAt);
          parts.push(line);
          size += line.length;
          lines += 1;
        }
        const text = parts.join("");
        outputBytes += Buffer.byteLength(text);
        const entries = [];
        for (let i = 0; i < text.length; i += ENTRY_CHARS) {
          entry += 1;
          entries.push({
            id: `${START + entry}-0`,
            stream: "stdout" as const,
            text: text.slice(i, i + ENTRY_CHARS),
          });
        }
        // As the copier stores them: at most its batch per call, the last completing the run.
        for (let i = 0; i < entries.length; i += 100) {
          const batch = entries.slice(i, i + 100);
          const done = i + 100 >= entries.length;
          outputs.add(job.id, batch, batch.at(-1)?.id ?? "0", done);
        }
      }
    })();
    if (!smoke && (first / RUNS_PER_TRANSACTION) % 10 === 0) {
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      process.stderr.write(
        `built ${first} of ${RUNS} runs, ${(outputBytes / 1e6).toFixed(0)} MB, ${seconds} s\n`,
      );
    }
  }
  // What the app's database looks like after a while: its WAL folded in.
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  const buildMs = performance.now() - started;
  renameSync(partial, path);
  for (const suffix of ["-wal", "-shm"]) rmSync(`${partial}${suffix}`, { force: true });
  const meta = { path, buildMs, outputBytes, lines };
  writeFileSync(metaPath, JSON.stringify(meta));
  return { ...meta, reused: false };
}

function sizes(db: Database): { name: string; bytes: number }[] {
  const rows = db
    .query<{ name: string; bytes: number }, []>(
      "SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC",
    )
    .all();
  // The index's shadow tables together: what the full-text index costs.
  const fts = rows.filter((row) => row.name.startsWith("job_lines_fts"));
  return [
    ...rows.filter((row) => !row.name.startsWith("job_lines_fts")),
    { name: "job_lines_fts (all its tables)", bytes: fts.reduce((sum, row) => sum + row.bytes, 0) },
  ].sort((a, b) => b.bytes - a.bytes);
}

const built = build();
process.stderr.write(`${built.reused ? "reusing" : "built"} ${built.path}\n`);
const db = openDatabase(built.path, { create: false });
const token = "b".repeat(40);
const app = createApp({ db, valkey: null, token, port: 1, allowedOrigins: [] });
const headers = { Host: "127.0.0.1:1", Authorization: `Bearer ${token}` };

async function call(path: string): Promise<{ ms: number; body: Record<string, unknown>; bytes: number }> {
  const started = performance.now();
  const response = await app.request(path, { headers });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
  return { ms, body: JSON.parse(text) as Record<string, unknown>, bytes: text.length };
}

const newest = db.query<{ id: string }, []>("SELECT id FROM jobs ORDER BY seq DESC LIMIT 1").get()?.id ?? "";
const middle =
  db.query<{ id: string }, [number]>("SELECT id FROM jobs WHERE seq = ?").get(Math.floor(RUNS / 2))?.id ?? "";
const since = new Date(START + Math.floor(RUNS / 2) * RUN_SPACING_MS).toISOString();
const firstPage = await call("/search?q=copied&limit=20");
const cursor = String(firstPage.body.nextCursor);
const q = encodeURIComponent;

const QUERIES: { name: string; path: string; aim: boolean }[] = [
  { name: "rare word (a few runs)", path: `/search?q=${RARE_WORD}`, aim: true },
  { name: "word in no line", path: "/search?q=nosuchwordanywhere", aim: true },
  { name: "common word, first page (20 runs)", path: "/search?q=copied", aim: true },
  { name: "common word, second page", path: `/search?q=copied&cursor=${cursor}`, aim: true },
  { name: "two common words", path: "/search?q=info%20file", aim: true },
  { name: "phrase", path: `/search?q=${q('"connection refused"')}`, aim: true },
  { name: "common word, status=failed", path: "/search?q=copied&status=failed", aim: true },
  {
    name: "phrase, template + since",
    path: `/search?q=${q('"connection refused"')}&template=${TEMPLATES[1]}&since=${q(since)}`,
    aim: true,
  },
  {
    name: "rare word, status=cancelled (no such run)",
    path: `/search?q=${RARE_WORD}&status=cancelled`,
    aim: true,
  },
  { name: "in-run search: next match", path: `/jobs/${middle}/search?q=copied&from=100`, aim: false },
  {
    name: "in-run search: previous match of a phrase",
    path: `/jobs/${middle}/search?q=${q('"connection refused"')}&direction=prev`,
    aim: false,
  },
  { name: "lines: 2000 from line 10", path: `/jobs/${newest}/lines?from=10&count=2000`, aim: false },
  {
    name: "GET /jobs?status=failed&template=…",
    path: `/jobs?status=failed&template=${TEMPLATES[0]}&limit=50`,
    aim: false,
  },
];

interface Measured {
  name: string;
  path: string;
  aim: boolean;
  runs: number;
  bytes: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
  samples: number[];
}

const measured: Measured[] = [];
for (const query of QUERIES) {
  const warm = await call(query.path);
  const samples: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) samples.push((await call(query.path)).ms);
  const items = warm.body.items;
  const p95 = percentile(samples, 95);
  measured.push({
    ...query,
    runs: Array.isArray(items) ? items.length : 0,
    bytes: warm.bytes,
    p50: percentile(samples, 50),
    p95,
    max: percentile(samples, 100),
    samples: samples.map((ms) => Math.round(ms * 1000) / 1000),
  });
  process.stderr.write(`${query.name}: p95 ${fmt(p95)} ms\n`);
}

const tableSizes = sizes(db);
const fileBytes = statSync(built.path).size;
const sqlite = db.query<{ v: string }, []>("SELECT sqlite_version() AS v").get()?.v ?? null;
db.close();

saveLoadAverage(work, "after");
const machine = machineInfo(work, { bun: Bun.version, sqlite });

const record = {
  machine,
  smoke,
  config: {
    runs: RUNS,
    mean_bytes_per_run: BYTES_PER_RUN,
    repetitions: REPETITIONS,
    aim_p95_ms: AIM_P95_MS,
    database: built.path,
    reused_database: built.reused,
  },
  build: { ms: Math.round(built.buildMs), output_bytes: built.outputBytes, lines: built.lines },
  size: { file_bytes: fileBytes, tables: tableSizes },
  queries: measured,
};

const mb = (bytes: number) => fmt(bytes / 1e6, 1);
const yes = (met: boolean) => (met ? "yes" : "**no**");
const aimed = measured.filter((m) => m.aim);
const worst = aimed.reduce((a, b) => ((b.p95 ?? 0) > (a.p95 ?? 0) ? b : a));
const ftsBytes = tableSizes.find((t) => t.name.startsWith("job_lines_fts"))?.bytes ?? 0;
const large = tableSizes.filter((t) => t.bytes >= 100_000);
const small = tableSizes.filter((t) => t.bytes < 100_000);
const command = ["bash bench/search.sh", ...(smoke ? ["--smoke"] : [])].join(" ");
const md = [
  "# search benchmark: full-text search over a run history",
  "",
  recordedLine(machine, command),
  "",
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gib} GiB, Linux ${machine.kernel}, load average (1, 5, 15 min) before [${machine.load_average_before?.join(", ")}], after [${machine.load_average_after?.join(", ")}]. Bun ${machine.bun}; SQLite ${machine.sqlite}.`,
  "",
  `A Runbook database with ${fmt(RUNS, 0)} ended runs and ${mb(built.outputBytes)} MB of output in ${fmt(built.lines, 0)} log lines (timestamp, level, words from a vocabulary with a long tail, a path, numbers; one line in ten with an ANSI-coloured level), built through the copier's store (\`OutputStore.add\`, 16 KiB entries, which splits lines and indexes them in FTS5), ${RUNS_PER_TRANSACTION} runs per transaction, and cached under \`~/.cache/convoy/bench/\`: its build time is from when it was built (reused from the cache in this run: ${built.reused ? "yes" : "no"}). Each request goes through the api's handlers (\`app.request\`: guard, validation, handler, JSON; no network), once to warm up, then ${REPETITIONS} times; milliseconds.`,
  "",
  "## Aims",
  "",
  table(
    ["aim", "worst query", "p95", "met"],
    [
      [
        `every \`GET /search\` below: p95 ≤ ${AIM_P95_MS} ms`,
        worst.name,
        `${fmt(worst.p95)} ms`,
        yes(aimed.every((m) => m.p95 !== null && m.p95 <= AIM_P95_MS)),
      ],
    ],
    ["l", "l", "r", "l"],
  ),
  "",
  "## Queries",
  "",
  table(
    ["query", "runs in answer", "answer bytes", "p50", "p95", "max"],
    measured.map((m) => [m.name, m.runs === 0 ? "–" : String(m.runs), fmt(m.bytes, 0), m.p50, m.p95, m.max]),
  ),
  "",
  "## Size and build",
  "",
  `Build: ${fmt(built.buildMs / 1000, 1)} s for ${mb(built.outputBytes)} MB (${fmt(built.outputBytes / 1e6 / (built.buildMs / 1000), 1)} MB/s through the copier's store). Database file: ${mb(fileBytes)} MB, ${fmt(fileBytes / built.outputBytes, 2)} × the output; the full-text index is ${mb(ftsBytes)} MB (${fmt(ftsBytes / built.outputBytes, 2)} × the output).`,
  "",
  table(
    ["table or index", "MB", "× output"],
    [
      ...large.map((t) => [t.name, mb(t.bytes), fmt(t.bytes / built.outputBytes, 3)]),
      [
        `everything else (${small.length} tables and indexes)`,
        mb(small.reduce((sum, t) => sum + t.bytes, 0)),
        "",
      ],
    ],
  ),
  "",
  "## Where the time goes",
  "",
  "A search walks the runs newest first. The newest matching run below a cursor is found with ascending key-range lookups in the index (a run's lines are one key range, `seq × 2^28 + n`): one range, then ranges doubling downwards until one holds a match, then halving it, so a common word's next run costs one lookup and a rare word's a few dozen, each a seek in FTS5's doclists (descending lookups make FTS5 read a common word's doclist whole: 1-5 ms each on this database). With filters it first tries the newest run the filters let through. Each run found then costs a lookup of its first 5 matching lines, a count of the rest, and reading those lines' text (at most 64 KiB each) to mark the matches: about 1 ms per run, most of a page's time. `job_lines` costs 1.5 × the text it holds: each row repeats its run's 36-character id (the primary key's first half) and its stream's name.",
  "",
].join("\n");
writeReport(args, record, md);
console.log(md);
