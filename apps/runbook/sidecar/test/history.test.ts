/**
 * The history on real SQLite files: output split into lines as the copier
 * copies it (from a real redis-server), GET /jobs/{id}/lines, the filters
 * of GET /jobs with their pagination, full-text search (GET /search, GET
 * /jobs/{id}/search), retention taking lines and their words, and a
 * database migrated with output already in it.
 */
import type { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { connectValkey, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApp } from "../src/api/app.ts";
import { backupPath, databasePath, openDatabase } from "../src/db/database.ts";
import { MIGRATIONS } from "../src/db/migrations.ts";
import { migrate } from "../src/db/migrator.ts";
import { parseQuery } from "../src/history/query.ts";
import type { JobLines, SearchPage } from "../src/history/schemas.ts";
import { flushTails, noTails, type OutputLine, splitChunk } from "../src/jobs/lines.ts";
import { copyOutput } from "../src/jobs/output-copier.ts";
import { OutputStore } from "../src/jobs/output-store.ts";
import { encodeOutputEntry, jobOutputKey, type OutputStream } from "../src/jobs/queue.ts";
import { pruneRuns } from "../src/jobs/retention.ts";
import { RetentionStore } from "../src/jobs/retention-store.ts";
import type { Job } from "../src/jobs/schemas.ts";
import { JobStore } from "../src/jobs/store.ts";
import { migratedDatabase } from "./migrated-database.ts";
import { TempDirs } from "./temp-dirs.ts";

const TOKEN = "h".repeat(40);
type JobPage = { items: Job[]; nextCursor: string | null };
const temp = new TempDirs();
let db: Database;
let jobs: JobStore;
let outputs: OutputStore;
let app: OpenAPIHono;

beforeEach(() => {
  db = migratedDatabase(temp.create());
  jobs = new JobStore(db);
  outputs = new OutputStore(db);
  app = createApp({ db, valkey: null, token: TOKEN, port: 1, allowedOrigins: [] });
});

afterEach(() => {
  db.close();
  temp.removeAll();
});

async function get<T>(path: string, status = 200): Promise<T> {
  const response = await app.request(path, {
    headers: { Host: "127.0.0.1:1", Authorization: `Bearer ${TOKEN}` },
  });
  const body = (await response.json()) as T;
  expect({ path, status: response.status }).toEqual({ path, status });
  return body;
}

type Problem = { type: string; errors?: { path: string; message: string }[]; detail?: string };

async function refused(path: string, parameter: string): Promise<Problem> {
  const body = await get<Problem>(path, 400);
  expect(body.type).toBe("urn:convoy:problem:validation");
  expect(body.errors?.map((error) => error.path)).toContain(parameter);
  return body;
}

let entrySeq = 0;
type Piece = [OutputStream, string];

/** A job started, its pieces copied as the copier does (one entry each), and ended when `end`. */
function runWith(pieces: readonly Piece[], { end = true, created = new Date(), name = "job" } = {}): Job {
  const job = jobs.create({ command: "true", name }, created);
  const at = new Date(created.getTime() + 1000).toISOString();
  jobs.applyEvents([{ type: "started", id: job.id, at, pid: 1 }], `${++entrySeq}-0`);
  if (end) {
    jobs.applyEvents(
      [{ type: "finished", id: job.id, at, outcome: "succeeded", exitCode: 0, reason: null }],
      `${++entrySeq}-0`,
    );
  }
  const entries = pieces.map(([stream, text]) => ({ id: `${++entrySeq}-0`, stream, text }));
  outputs.add(job.id, entries, entries.at(-1)?.id ?? "0", end);
  return job;
}

const storedLines = (id: string) =>
  db
    .query<{ n: number; stream: string; text: string }, [string]>(
      "SELECT n, stream, text FROM job_lines WHERE job_id = ? ORDER BY n",
    )
    .all(id);

const indexedRows = () =>
  db.query<{ n: number }, []>("SELECT count(*) AS n FROM job_lines_fts").get()?.n ?? 0;

describe("splitting output into lines", () => {
  type Line = Pick<OutputLine, "stream" | "text">;
  function split(pieces: readonly Piece[], end = true): Line[] {
    const tails = noTails();
    const lines: OutputLine[] = [];
    for (const [stream, text] of pieces) splitChunk(tails, stream, text, lines);
    if (end) flushTails(tails, lines);
    for (const line of lines) expect(line.bytes).toBe(Buffer.byteLength(line.text));
    return lines.map(({ stream, text }) => ({ stream, text }));
  }
  const out = (text: string): Line => ({ stream: "stdout", text });

  test("a line split between chunks is one line; an empty line is a line", () => {
    expect(
      split([
        ["stdout", "hel"],
        ["stdout", "lo\n\nwor"],
        ["stdout", "ld\n"],
      ]),
    ).toEqual([out("hello"), out(""), out("world")]);
  });

  test("CRLF ends a line without its \\r, also with \\r and \\n in different chunks", () => {
    expect(
      split([
        ["stdout", "a\r\nb\r"],
        ["stdout", "\nc\r\n"],
      ]),
    ).toEqual([out("a"), out("b"), out("c")]);
  });

  test("a bare \\r (a progress line redrawn) stays inside its line", () => {
    expect(
      split([
        ["stdout", "10%\r50%\r"],
        ["stdout", "100%\ndone\n"],
      ]),
    ).toEqual([out("10%\r50%\r100%"), out("done")]);
  });

  test("an unended last line is kept when the job ends, and not before", () => {
    expect(split([["stdout", "one\ntwo"]], false)).toEqual([out("one")]);
    expect(split([["stdout", "one\ntwo"]])).toEqual([out("one"), out("two")]);
  });

  test("stdout and stderr keep lines of their own when they interleave", () => {
    expect(
      split([
        ["stdout", "abc"],
        ["stderr", "oops\n"],
        ["stdout", "def\n"],
        ["stderr", "tail"],
      ]),
    ).toEqual([{ stream: "stderr", text: "oops" }, out("abcdef"), { stream: "stderr", text: "tail" }]);
  });

  test("in the store: the tail waits across copies, then the job's end stores it", () => {
    const job = jobs.create({ command: "x" });
    jobs.applyEvents([{ type: "started", id: job.id, at: new Date().toISOString(), pid: 1 }], "1-0");
    outputs.add(job.id, [{ id: "5-0", stream: "stdout", text: "first\nsec" }], "5-0", false);
    expect(storedLines(job.id)).toEqual([{ n: 0, stream: "stdout", text: "first" }]);
    outputs.add(job.id, [{ id: "6-0", stream: "stdout", text: "ond\r\nthi" }], "6-0", false);
    // A chunk copied twice is split once.
    outputs.add(job.id, [{ id: "6-0", stream: "stdout", text: "ond\r\nthi" }], "6-0", false);
    expect(storedLines(job.id).map((line) => line.text)).toEqual(["first", "second"]);
    outputs.add(job.id, [{ id: "7-0", stream: "stdout", text: "rd" }], "7-0", true);
    expect(storedLines(job.id).map((line) => line.text)).toEqual(["first", "second", "third"]);
    expect(db.query("SELECT * FROM job_line_tails").all()).toEqual([]);
  });
});

describe("GET /jobs/{id}/lines", () => {
  test("serves a range of lines with the run's total, complete and truncated", async () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${i}\n`).join("");
    const job = runWith([
      ["stdout", text.slice(0, 55)],
      ["stdout", text.slice(55)],
    ]);
    const page = await get<JobLines>(`/jobs/${job.id}/lines?from=10&count=3`);
    expect(page).toEqual({
      lines: [10, 11, 12].map((n) => ({ n, stream: "stdout", text: `line ${n}` })),
      total: 30,
      complete: true,
      truncated: false,
    });
    expect((await get<JobLines>(`/jobs/${job.id}/lines?from=28`)).lines.map((line) => line.n)).toEqual([
      28, 29,
    ]);
    expect((await get<JobLines>(`/jobs/${job.id}/lines?from=30`)).lines).toEqual([]);
    expect((await get<JobLines>(`/jobs/${job.id}/lines`)).lines).toHaveLength(30);
  });

  test("a running job's lines are not complete; a truncated run says so", async () => {
    const running = runWith([["stdout", "a\nb"]], { end: false });
    expect(await get<JobLines>(`/jobs/${running.id}/lines`)).toMatchObject({ total: 1, complete: false });
    const job = jobs.create({ command: "x" });
    const at = new Date().toISOString();
    jobs.applyEvents(
      [
        { type: "started", id: job.id, at, pid: 1 },
        {
          type: "finished",
          id: job.id,
          at,
          outcome: "succeeded",
          exitCode: 0,
          reason: null,
          droppedOutputBytes: 99,
        },
      ],
      "9-0",
    );
    outputs.add(
      job.id,
      [{ id: "10-0", stream: "stderr", text: "[runbook] output truncated\n" }],
      "10-0",
      true,
    );
    expect(await get<JobLines>(`/jobs/${job.id}/lines`)).toMatchObject({ truncated: true, complete: true });
  });

  test("a 50 MB line without a newline is served clipped to 64 KiB; its chunks keep it whole", async () => {
    const long = `${"é".repeat(10)}${"x".repeat(50 * 1024 * 1024)}`;
    const pieces: Piece[] = [];
    for (let i = 0; i < long.length; i += 16 * 1024) pieces.push(["stdout", long.slice(i, i + 16 * 1024)]);
    const job = runWith([...pieces, ["stderr", "after\n"]]);
    const stored = db
      .query<{ bytes: number; chars: number }, [string]>(
        "SELECT bytes, length(text) AS chars FROM job_lines WHERE job_id = ? AND stream = 'stdout'",
      )
      .get(job.id);
    expect(stored).toEqual({ bytes: Buffer.byteLength(long), chars: 64 * 1024 });
    const chunks = db
      .query<{ chars: number }, [string]>(
        "SELECT sum(length(text)) AS chars FROM job_output WHERE job_id = ? AND stream = 'stdout'",
      )
      .get(job.id);
    expect(chunks?.chars).toBe(long.length);
    const page = await get<JobLines>(`/jobs/${job.id}/lines`);
    expect(page.lines).toHaveLength(2);
    const [after, clipped] = page.lines;
    expect(after).toEqual({ n: 0, stream: "stderr", text: "after" });
    expect(clipped?.clipped).toBe(Buffer.byteLength(long));
    expect(Buffer.byteLength(clipped?.text ?? "")).toBe(64 * 1024);
    expect(long.startsWith(clipped?.text ?? "-")).toBe(true);
  }, 60_000);

  test("a long line's CRLF split across chunks: its length counts neither the \\r nor the \\n", () => {
    const long = "y".repeat(70_000);
    const job = runWith([
      ["stdout", long.slice(0, 40_000)],
      ["stdout", `${long.slice(40_000)}\r`],
      ["stdout", "\nshort\r"],
      ["stdout", "\n"],
    ]);
    expect(
      db
        .query("SELECT n, length(text) AS chars, bytes FROM job_lines WHERE job_id = ? ORDER BY n")
        .all(job.id),
    ).toEqual([
      { n: 0, chars: 64 * 1024, bytes: 70_000 },
      { n: 1, chars: 5, bytes: 5 },
    ]);
  });

  test("clipping never cuts a code point: the text is its longest start within 64 KiB", async () => {
    const job = runWith([["stdout", `${"x".repeat(65_535)}€€\n`]]);
    const [line] = (await get<JobLines>(`/jobs/${job.id}/lines`)).lines;
    expect(line?.clipped).toBe(65_535 + 6);
    expect(line?.text).toBe("x".repeat(65_535));
  });

  test("binary garbage and invalid UTF-8 come back as the worker decoded them", async () => {
    const bytes = new Uint8Array([
      0x66, 0xff, 0xfe, 0x00, 0x0a, 0xc3, 0x28, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x0a,
    ]);
    const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
    const job = runWith([["stdout", text]]);
    const page = await get<JobLines>(`/jobs/${job.id}/lines`);
    expect(page.lines.map((line) => line.text)).toEqual(["f\uFFFD\uFFFD\u0000", "\uFFFD(\u001b[31m"]);
  });

  test("bad from and count are 400 naming them; an unknown job is 404", async () => {
    const job = runWith([["stdout", "x\n"]]);
    await refused(`/jobs/${job.id}/lines?count=2001`, "count");
    await refused(`/jobs/${job.id}/lines?count=0`, "count");
    await refused(`/jobs/${job.id}/lines?from=-1`, "from");
    await refused(`/jobs/${job.id}/lines?from=1.5`, "from");
    await refused(`/jobs/${job.id}/lines?from=abc`, "from");
    expect((await get<JobLines>(`/jobs/${job.id}/lines?count=2000`)).lines).toHaveLength(1);
    const missing = await get<Problem>("/jobs/nope/lines", 404);
    expect(missing.type).toBe("urn:convoy:problem:not-found");
  });
});

describe("GET /jobs filters", () => {
  const TEMPLATE = "00000000-0000-7000-8000-000000000003";

  function templateRun(created: Date, status: "succeeded" | "failed"): Job {
    const job = jobs.create({ command: "t", name: "t" }, created);
    db.query("UPDATE jobs SET template_id = ?, template_version = 1, status = ? WHERE id = ?").run(
      TEMPLATE,
      status,
      job.id,
    );
    return job;
  }

  test("pages through a filtered list, newest first, with nothing skipped or repeated", async () => {
    const start = Date.parse("2026-03-01T00:00:00.000Z");
    const failed: string[] = [];
    for (let i = 0; i < 57; i++) {
      const created = new Date(start + i * 60_000);
      if (i % 3 === 0) {
        const job = templateRun(created, i % 2 === 0 ? "failed" : "succeeded");
        if (i % 2 === 0) failed.push(job.id);
      } else if (i % 3 === 1) {
        // Failed, but not the template's: the template filter leaves it out.
        const job = jobs.create({ command: "plain" }, created);
        db.query("UPDATE jobs SET status = 'failed' WHERE id = ?").run(job.id);
      } else {
        templateRun(created, "succeeded");
      }
    }
    expect(failed).toHaveLength(10);
    const seen: string[] = [];
    let cursor = "";
    for (let pages = 0; pages < 20; pages++) {
      const page = await get<JobPage>(
        `/jobs?template=${TEMPLATE}&status=failed,interrupted&limit=3&cursor=${encodeURIComponent(cursor)}`,
      );
      seen.push(...page.items.map((job) => job.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...failed].reverse());
  });

  test("since and until bound created_at: since inclusive, until exclusive, any offset", async () => {
    const a = jobs.create({ command: "a" }, new Date("2026-03-01T10:00:00.000Z"));
    const b = jobs.create({ command: "b" }, new Date("2026-03-01T11:00:00.000Z"));
    jobs.create({ command: "c" }, new Date("2026-03-01T12:00:00.000Z"));
    const page = await get<JobPage>(
      `/jobs?since=${encodeURIComponent("2026-03-01T12:00:00+02:00")}&until=2026-03-01T12:00:00Z`,
    );
    expect(page.items.map((job) => job.id)).toEqual([b.id, a.id]);
    const since = await get<JobPage>("/jobs?since=2026-03-01T11:00:00.000Z");
    expect(since.items.map((job) => job.name)).toEqual(["c", "b"]);
  });

  test("bad filter values are 400 naming the parameter", async () => {
    await refused("/jobs?status=done", "status");
    await refused("/jobs?status=failed,", "status");
    await refused("/jobs?status=", "status");
    await refused("/jobs?since=yesterday", "since");
    await refused("/jobs?until=2026-13-01T00:00:00Z", "until");
    await refused("/jobs?since=2026-03-01", "since");
    await refused("/jobs?template=", "template");
    expect((await get<JobPage>("/jobs?template=none-such")).items).toEqual([]);
  });
});

describe("GET /search", () => {
  test("finds runs newest first with their first matching lines, the match's ranges and the rest counted", async () => {
    const old = runWith([["stdout", "connection refused by db01\nok\n"]], { name: "old" });
    runWith([["stdout", "nothing here\n"]], { name: "other" });
    const lines = Array.from({ length: 8 }, (_, i) => `try ${i}: Connection REFUSED (db01)\n`).join("");
    const recent = runWith([["stderr", lines]], { name: "recent" });
    const page = await get<SearchPage>(`/search?q=${encodeURIComponent('"connection refused" db01')}`);
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((hit) => hit.job.id)).toEqual([recent.id, old.id]);
    const [first, second] = page.items;
    expect(first?.lines.map((line) => line.n)).toEqual([0, 1, 2, 3, 4]);
    expect(first?.more).toBe(3);
    expect(first?.lines[0]).toEqual({
      n: 0,
      stream: "stderr",
      text: "try 0: Connection REFUSED (db01)",
      ranges: [
        [7, 25],
        [27, 31],
      ],
    });
    expect(second).toMatchObject({ more: 0, lines: [{ n: 0, text: "connection refused by db01" }] });
  });

  test("a phrase needs its words in order; words need not be", async () => {
    runWith([["stdout", "refused connection\n"]]);
    expect((await get<SearchPage>(`/search?q=${encodeURIComponent('"connection refused"')}`)).items).toEqual(
      [],
    );
    expect((await get<SearchPage>("/search?q=connection%20refused")).items).toHaveLength(1);
  });

  test("a long line comes back as about 300 characters around its match", async () => {
    const job = runWith([["stdout", `${"a ".repeat(1000)}needle${" b".repeat(1000)}\n`]]);
    const [hit] = (await get<SearchPage>("/search?q=needle")).items;
    expect(hit?.job.id).toBe(job.id);
    const line = hit?.lines[0];
    expect(line?.text.length).toBeLessThanOrEqual(300);
    const [start, end] = line?.ranges[0] ?? [0, 0];
    expect(line?.text.slice(start, end)).toBe("needle");
  });

  test("a long line is searched in its first 64 Ki characters, what is served of it", async () => {
    const filler = "word ".repeat(200_000);
    runWith([["stdout", `early needle ${filler}\n${filler} late haystack\n`]]);
    const [early] = (await get<SearchPage>("/search?q=needle")).items;
    expect(early?.lines[0]).toMatchObject({ n: 0, ranges: [[6, 12]] });
    expect((await get<SearchPage>("/search?q=haystack")).items).toEqual([]);
    // Both lines are stored whole all the same.
    expect((await get<JobLines>(`/jobs/${early?.job.id}/lines`)).lines.map((line) => line.clipped)).toEqual([
      "early needle ".length + filler.length,
      filler.length + " late haystack".length,
    ]);
  });

  test("a coloured word is found, and its range is the word's", async () => {
    runWith([["stdout", "\u001b[31mERROR\u001b[0m disk full\n"]]);
    const [hit] = (await get<SearchPage>("/search?q=error")).items;
    expect(hit?.lines[0]?.ranges).toEqual([[5, 10]]);
  });

  test("FTS syntax characters are literal, never a syntax error", async () => {
    const job = runWith([
      ["stdout", 'say "hi" * NEAR the-end key:value OR not AND -x ^start\n'],
      ["stdout", "unrelated\n"],
    ]);
    const cases: [string, "hit" | "none" | 400][] = [
      ['"hi"', "hit"],
      ['say "hi', "hit"],
      ["the-end", "hit"],
      ["key:value", "hit"],
      ["{key}:value", "hit"],
      ["NEAR", "hit"],
      ["-x", "hit"],
      ["^start", "hit"],
      ["OR", "hit"],
      ["AND not", "hit"],
      ["hi*", "hit"],
      // The phrase "near a" and the word b: neither is in the line.
      ["NEAR(a b)", "none"],
      ['a"b"c"', "none"],
      ["*", 400],
      ["(", 400],
    ];
    for (const [q, expected] of cases) {
      const response = await app.request(`/search?q=${encodeURIComponent(q)}`, {
        headers: { Host: "127.0.0.1:1", Authorization: `Bearer ${TOKEN}` },
      });
      const body = (await response.json()) as SearchPage & Problem;
      const outcome =
        response.status === 400 && body.errors?.[0]?.path === "q"
          ? 400
          : response.status === 200
            ? body.items.map((hit) => hit.job.id).join() === job.id
              ? "hit"
              : body.items.length === 0
                ? "none"
                : "other"
            : response.status;
      expect({ q, outcome }).toEqual({ q, outcome: expected });
    }
  });

  test("a q with no word in it, empty or blank is 400 naming q", async () => {
    runWith([["stdout", "x\n"]]);
    for (const q of ["", "   ", "***", '""', "-:", "\u001b"]) {
      const body = await refused(`/search?q=${encodeURIComponent(q)}`, "q");
      expect(body.errors?.[0]?.message).toBeString();
    }
    await refused("/search", "q");
    await refused(`/search?q=${"a".repeat(1001)}`, "q");
  });

  test("pages through runs with the cursor, and filters them", async () => {
    const start = Date.parse("2026-03-01T00:00:00.000Z");
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const job = runWith([["stdout", `step ${i} marker\n`]], { created: new Date(start + i * 1000) });
      ids.push(job.id);
      if (i % 4 === 0) db.query("UPDATE jobs SET status = 'failed' WHERE id = ?").run(job.id);
    }
    const seen: string[] = [];
    let cursor = "";
    for (let pages = 0; pages < 10; pages++) {
      const page = await get<SearchPage>(`/search?q=marker&limit=5&cursor=${cursor}`);
      seen.push(...page.items.map((hit) => hit.job.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    const failed = await get<SearchPage>("/search?q=marker&status=failed&limit=2");
    expect(failed.items.map((hit) => hit.job.id)).toEqual([ids[8] ?? "", ids[4] ?? ""]);
    const rest = await get<SearchPage>(`/search?q=marker&status=failed&limit=2&cursor=${failed.nextCursor}`);
    expect(rest).toMatchObject({ nextCursor: null });
    expect(rest.items.map((hit) => hit.job.id)).toEqual([ids[0] ?? ""]);
    const since = await get<SearchPage>(
      `/search?q=marker&since=${new Date(start + 10_000).toISOString()}&status=succeeded`,
    );
    expect(since.items.map((hit) => hit.job.id)).toEqual([ids[11] ?? "", ids[10] ?? ""]);
    await refused("/search?q=marker&cursor=bogus", "cursor");
    await refused("/search?q=marker&status=nope", "status");
    await refused("/search?q=marker&limit=51", "limit");
  });

  test("sparse matches among many runs: every matching run, newest first, filtered or not", async () => {
    const matching: { id: string; failed: boolean }[] = [];
    for (let i = 0; i < 300; i++) {
      const hit = (i * 7919) % 13 === 0 || i === 0 || i === 299;
      const job = runWith([["stdout", hit ? `x sparse ${i}\n` : `x dense ${i}\n`]]);
      const failed = i % 3 === 0;
      if (failed) db.query("UPDATE jobs SET status = 'failed' WHERE id = ?").run(job.id);
      if (hit) matching.push({ id: job.id, failed });
    }
    const all = async (query: string) => {
      const seen: string[] = [];
      let cursor = "";
      for (let pages = 0; pages < 100; pages++) {
        const page = await get<SearchPage>(`/search?${query}&limit=4&cursor=${cursor}`);
        seen.push(...page.items.map((hit) => hit.job.id));
        if (page.nextCursor === null) return seen;
        cursor = page.nextCursor;
      }
      throw new Error("too many pages");
    };
    expect(await all("q=sparse")).toEqual(matching.map((m) => m.id).reverse());
    const failed = matching.filter((m) => m.failed).map((m) => m.id);
    expect(failed.length).toBeGreaterThan(3);
    expect(await all("q=sparse&status=failed")).toEqual([...failed].reverse());
    expect(await all("q=nowhere")).toEqual([]);
  });

  test("the query is read as literal words: each an FTS5 string of letters and digits", () => {
    expect(parseQuery('NEAR(a b) "x: y" *')?.match).toBe('"near a" AND "b" AND "x y"');
    expect(parseQuery("Ünïcode café/ßtraße")?.terms).toEqual([["unicode"], ["cafe", "ßtraße"]]);
    expect(parseQuery("*** -- ::")).toBeNull();
  });
});

describe("GET /jobs/{id}/search", () => {
  test("finds the next and the previous matching line, and counts them all", async () => {
    const text = Array.from({ length: 20 }, (_, i) => (i % 5 === 2 ? `hit ${i}\n` : `miss ${i}\n`)).join("");
    const job = runWith([["stdout", text]]);
    const at = (query: string) =>
      get<{ n: number | null; count: number }>(`/jobs/${job.id}/search?q=hit&${query}`);
    expect(await at("")).toEqual({ n: 2, count: 4 });
    expect(await at("from=2")).toEqual({ n: 7, count: 4 });
    expect(await at("from=17")).toEqual({ n: null, count: 4 });
    expect(await at("direction=prev")).toEqual({ n: 17, count: 4 });
    expect(await at("from=7&direction=prev")).toEqual({ n: 2, count: 4 });
    expect(await at("from=2&direction=prev")).toEqual({ n: null, count: 4 });
    // Another run's lines never count.
    runWith([["stdout", "hit\nhit\n"]]);
    expect(await at("")).toEqual({ n: 2, count: 4 });
    await refused(`/jobs/${job.id}/search?q=hit&direction=up`, "direction");
    await refused(`/jobs/${job.id}/search?q=%22`, "q");
    expect((await get<Problem>("/jobs/nope/search?q=hit", 404)).type).toBe("urn:convoy:problem:not-found");
  });
});

describe("retention", () => {
  test("takes a pruned run's lines and their words, and leaves the others' searchable", async () => {
    const old = runWith([["stdout", "alpha one\nalpha two\nalpha three\n"]], {
      created: new Date(Date.now() - 90 * 24 * 3600 * 1000),
    });
    const kept = runWith([["stdout", "alpha kept\n"]]);
    expect(indexedRows()).toBe(4);
    const pass = await pruneRuns(
      new RetentionStore(db),
      { maxAgeMs: 30 * 24 * 3600 * 1000, maxBytes: 2 ** 40 },
      {
        batchRows: 2,
      },
    );
    expect(pass.jobs).toEqual([old.id]);
    expect(storedLines(old.id)).toEqual([]);
    expect(indexedRows()).toBe(1);
    const page = await get<SearchPage>("/search?q=alpha");
    expect(page.items.map((hit) => hit.job.id)).toEqual([kept.id]);
  });
});

describe("a database migrated with output in it", () => {
  test("the runs copied before lines were kept are split into lines, tails and all", async () => {
    const dataDir = temp.create();
    const old = openDatabase(databasePath(dataDir), { create: true });
    migrate(old, { migrations: MIGRATIONS.slice(0, 8), backupPath: (from) => backupPath(dataDir, from) });
    const insertJob = old.query(
      `INSERT INTO jobs (id, name, command, status, created_at, output_complete, output_copied)
       VALUES (?, 'j', 'true', ?, ?, ?, '')`,
    );
    insertJob.run("old-ended", "succeeded", "2026-01-01T00:00:00.000Z", 1);
    insertJob.run("old-running", "running", "2026-01-02T00:00:00.000Z", 0);
    const chunk = old.query("INSERT INTO job_output (job_id, entry, stream, text) VALUES (?, ?, ?, ?)");
    chunk.run("old-ended", "00000000000000000001-00000000000000000000", "stdout", "first li");
    chunk.run("old-ended", "00000000000000000002-00000000000000000000", "stderr", "err\n");
    chunk.run("old-ended", "00000000000000000003-00000000000000000000", "stdout", "ne\nlast");
    chunk.run("old-running", "00000000000000000001-00000000000000000000", "stdout", "half");
    migrate(old, { migrations: MIGRATIONS, backupPath: (from) => backupPath(dataDir, from) });
    const seqs = old.query("SELECT id, seq, lines_pending FROM jobs ORDER BY seq").all();
    expect(seqs).toEqual([
      { id: "old-ended", seq: 1, lines_pending: 1 },
      { id: "old-running", seq: 2, lines_pending: 1 },
    ]);
    db.close();
    db = old;
    jobs = new JobStore(db);
    outputs = new OutputStore(db);
    app = createApp({ db, valkey: null, token: TOKEN, port: 1, allowedOrigins: [] });
    // Not split yet: the lines are not complete.
    expect(await get<JobLines>("/jobs/old-ended/lines")).toMatchObject({ total: 0, complete: false });
    // In batches of 2 chunks: the ended run's 3 take two, the running one's 1 one.
    const batches: number[] = [];
    for (let split = outputs.splitPending(2); split > 0; split = outputs.splitPending(2)) batches.push(split);
    expect(batches).toEqual([2, 1, 1]);
    expect(await get<JobLines>("/jobs/old-ended/lines")).toMatchObject({
      lines: [
        { n: 0, stream: "stderr", text: "err" },
        { n: 1, stream: "stdout", text: "first line" },
        { n: 2, stream: "stdout", text: "last" },
      ],
      complete: true,
    });
    // The running one goes on from its tail.
    outputs.add("old-running", [{ id: "5-0", stream: "stdout", text: "way\n" }], "5-0", false);
    expect(storedLines("old-running").map((line) => line.text)).toEqual(["halfway"]);
    const created = jobs.create({ command: "new" });
    expect(db.query("SELECT seq FROM jobs WHERE id = ?").get(created.id)).toEqual({ seq: 3 });
    expect((await get<SearchPage>("/search?q=halfway")).items.map((hit) => hit.job.id)).toEqual([
      "old-running",
    ]);
  });
});

describe("the copier, from a real redis-server", () => {
  let server: RedisServer;
  let valkey: ValkeyConnection;

  beforeAll(async () => {
    server = await RedisServer.start();
    valkey = connectValkey({ socket: server.socket, password: server.password, name: "history-test" });
    await valkey.untilUp();
  });

  afterAll(async () => {
    valkey.close();
    await server.dispose();
  });

  test("splits lines across stream entries and copies, and ends the tail with the stream", async () => {
    const job = jobs.create({ command: "x" });
    jobs.applyEvents([{ type: "started", id: job.id, at: new Date().toISOString(), pid: 1 }], "1-0");
    const key = jobOutputKey(job.id);
    const write = (stream: OutputStream, text: string) =>
      valkey.command(["XADD", key, "*", ...encodeOutputEntry({ kind: "text", stream, text })]);
    await write("stdout", "2026-12-01 start\r");
    await write("stdout", "\nprogress 10%\rprogress 100%");
    await copyOutput(outputs, valkey);
    expect(storedLines(job.id).map((line) => line.text)).toEqual(["2026-12-01 start"]);
    await write("stderr", "warn: low disk\n");
    await write("stdout", "\nbye");
    jobs.applyEvents(
      [
        {
          type: "finished",
          id: job.id,
          at: new Date().toISOString(),
          outcome: "succeeded",
          exitCode: 0,
          reason: null,
        },
      ],
      "2-0",
    );
    await valkey.command(["XADD", key, "*", ...encodeOutputEntry({ kind: "end" })]);
    await copyOutput(outputs, valkey);
    expect(storedLines(job.id)).toEqual([
      { n: 0, stream: "stdout", text: "2026-12-01 start" },
      { n: 1, stream: "stderr", text: "warn: low disk" },
      { n: 2, stream: "stdout", text: "progress 10%\rprogress 100%" },
      { n: 3, stream: "stdout", text: "bye" },
    ]);
    expect(await get<JobLines>(`/jobs/${job.id}/lines`)).toMatchObject({ total: 4, complete: true });
    expect((await get<SearchPage>("/search?q=disk")).items[0]?.lines[0]?.n).toBe(1);
  });
});
