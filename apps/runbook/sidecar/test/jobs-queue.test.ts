/**
 * The api's half of running jobs, against a real Valkey (redis-server): jobs
 * reach the queue (also when Valkey was down), the worker's events move jobs
 * forward exactly once, cancel marks what the worker must stop, and output is
 * read back in order, as a long poll. The worker's side is played here by
 * writing what queue.ts says it writes; runner.test.ts tests the real worker.
 */
import type { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { connectValkey, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { announceJobChanges, createApp } from "../src/api/app.ts";
import { JobDispatcher } from "../src/jobs/dispatcher.ts";
import { runJobEvents } from "../src/jobs/events.ts";
import { JobOutputReader } from "../src/jobs/output.ts";
import { runOutputCopier } from "../src/jobs/output-copier.ts";
import { OutputStore, storedEntry, streamId } from "../src/jobs/output-store.ts";
import {
  decodeQueuedJob,
  encodeJobEvent,
  encodeOutputEntry,
  JOB_EVENTS,
  JOB_QUEUE,
  type JobEvent,
  jobCancelKey,
  jobOutputKey,
  type OutputEntry,
  streamEntries,
} from "../src/jobs/queue.ts";
import type { Job, JobOutput } from "../src/jobs/schemas.ts";
import { JobStore } from "../src/jobs/store.ts";
import { migratedDatabase } from "./migrated-database.ts";
import { recordingBackchannel } from "./recording-backchannel.ts";
import { TempDirs } from "./temp-dirs.ts";

const PORT = 41235;
const TOKEN = "c".repeat(32) + "d".repeat(32);

const temp = new TempDirs();
let server: RedisServer;
let db: Database;
let dataDir: string;
let app: OpenAPIHono;
let store: JobStore;
let outputs: OutputStore;
let stop: AbortController;
let loops: Promise<unknown>;
const connections: ValkeyConnection[] = [];
const readers: JobOutputReader[] = [];
const { backchannel, broadcasts } = recordingBackchannel();

function connect(name: string): ValkeyConnection {
  const connection = connectValkey({ socket: server.socket, password: server.password, name });
  connections.push(connection);
  return connection;
}

/** How often the api here copies output (the app's: every second). */
const COPY_EVERY_MS = 20;

/** The api as roles/api.ts assembles it, with its loops running; it waits for Valkey unless told not to. */
async function startApi({ valkeyUp = true } = {}): Promise<void> {
  const valkey = connect("api");
  if (valkeyUp) await valkey.untilUp();
  store = new JobStore(db);
  outputs = new OutputStore(db);
  const output = new JobOutputReader(outputs, valkey, { socket: server.socket, password: server.password });
  readers.push(output);
  const dispatcher = new JobDispatcher(store, valkey);
  app = createApp({
    db,
    valkey,
    token: TOKEN,
    port: PORT,
    allowedOrigins: [],
    backchannel,
    queue: { valkey, dispatcher, output },
  });
  stop = new AbortController();
  loops = Promise.all([
    dispatcher.run(stop.signal),
    runJobEvents(store, connect("api-events"), stop.signal, announceJobChanges(backchannel)),
    runOutputCopier(outputs, connect("api-output-copier"), stop.signal, COPY_EVERY_MS),
  ]);
}

async function stopApi(): Promise<void> {
  stop.abort();
  await loops;
  for (const reader of readers.splice(0)) reader.close();
  for (const connection of connections.splice(0)) connection.close();
}

beforeAll(async () => {
  server = await RedisServer.start();
});

afterAll(async () => {
  await server.dispose();
});

beforeEach(async () => {
  dataDir = temp.create();
  db = migratedDatabase(dataDir);
  broadcasts.length = 0;
  await startApi();
  // Each test starts from an empty Valkey.
  await connections[0]?.command(["FLUSHALL"]);
});

afterEach(async () => {
  await stopApi();
  db.close();
  temp.removeAll();
});

function call(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = { Host: `127.0.0.1:${PORT}`, Authorization: `Bearer ${TOKEN}` };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  return Promise.resolve(
    app.request(path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
  );
}

async function createJob(command: string): Promise<Job> {
  const response = await call("/jobs", { method: "POST", body: { command } });
  expect(response.status).toBe(201);
  return (await response.json()) as Job;
}

async function getJob(id: string): Promise<Job> {
  return (await (await call(`/jobs/${id}`)).json()) as Job;
}

async function output(id: string, query = ""): Promise<JobOutput> {
  const response = await call(`/jobs/${id}/output${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as JobOutput;
}

/** Every chunk from `after` to the end, page by page, as one text per stream change. */
async function readToEnd(id: string, query = "&limit=100"): Promise<JobOutput["chunks"]> {
  const chunks: JobOutput["chunks"] = [];
  let cursor = "0";
  for (let pages = 0; pages < 10_000; pages += 1) {
    const page = await output(id, `?after=${cursor}${query}`);
    for (const chunk of page.chunks) {
      const previous = chunks.at(-1);
      if (previous?.stream === chunk.stream) previous.text += chunk.text;
      else chunks.push({ ...chunk });
    }
    if (page.end) return chunks;
    cursor = page.cursor;
  }
  throw new Error("the output did not end");
}

/** What a test client reads straight from Valkey. */
async function reader(): Promise<ValkeyConnection> {
  const connection = connect("test");
  await connection.untilUp();
  return connection;
}

async function queued(): Promise<{ id: string; command: string }[]> {
  const valkey = await reader();
  const reply = await valkey.command(["XREAD", "COUNT", "1000", "STREAMS", JOB_QUEUE, "0"]);
  return streamEntries(reply).flatMap((entry) => decodeQueuedJob(entry.fields) ?? []);
}

async function emit(...events: JobEvent[]): Promise<void> {
  const valkey = await reader();
  for (const event of events) await valkey.command(["XADD", JOB_EVENTS, "*", ...encodeJobEvent(event)]);
}

async function write(id: string, ...entries: OutputEntry[]): Promise<void> {
  const valkey = await reader();
  for (const entry of entries)
    await valkey.command(["XADD", jobOutputKey(id), "*", ...encodeOutputEntry(entry)]);
}

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`not reached within ${ms} ms; last value: ${JSON.stringify(value)}`);
    await Bun.sleep(20);
  }
}

const at = () => new Date().toISOString();

describe("the queue", () => {
  test("a created job reaches Valkey's queue once, with its command", async () => {
    const job = await createJob("echo queued");
    const entries = await until(queued, (list) => list.length > 0);
    expect(entries).toEqual([{ id: job.id, command: "echo queued" }]);
    await Bun.sleep(1200); // a further dispatcher pass sends nothing again
    expect(await queued()).toHaveLength(1);
  });

  test("a job created while Valkey is down is queued once it is back", async () => {
    await server.kill();
    try {
      const job = await createJob("echo later");
      expect(job.status).toBe("queued");
    } finally {
      await server.launch();
    }
    const entries = await until(queued, (list) => list.length > 0, 8000);
    expect(entries.map((entry) => entry.command)).toEqual(["echo later"]);
  });
});

describe("the worker's events", () => {
  test("move a job through running, progress and status to succeeded, announcing each change", async () => {
    const job = await createJob("make");
    broadcasts.length = 0;
    await emit({ type: "started", id: job.id, at: at(), pid: 4242 });
    const running = await until(
      () => getJob(job.id),
      (value) => value.status === "running",
    );
    expect(running.startedAt).not.toBeNull();
    await emit({ type: "progress", id: job.id, at: at(), progress: 40 });
    await until(
      () => getJob(job.id),
      (value) => value.progress === 40,
    );
    await emit({ type: "status", id: job.id, at: at(), statusLine: "Linking" });
    await emit({ type: "progress", id: job.id, at: at(), progress: 75, steps: { done: 3, total: 4 } });
    const reported = await until(
      () => getJob(job.id),
      (value) => value.progress === 75,
    );
    expect(reported).toMatchObject({ statusLine: "Linking", progressSteps: { done: 3, total: 4 } });
    expect(running).toMatchObject({ statusLine: null, progressSteps: null });
    expect(running.outputDroppedBytes).toBe(0);
    await emit({
      type: "finished",
      id: job.id,
      at: at(),
      outcome: "succeeded",
      exitCode: 0,
      reason: null,
      droppedOutputBytes: 1234,
    });
    const done = await until(
      () => getJob(job.id),
      (value) => value.status === "succeeded",
    );
    expect(done).toMatchObject({
      exitCode: 0,
      progress: 75,
      progressSteps: { done: 3, total: 4 },
      statusLine: "Linking",
      reason: null,
      outputDroppedBytes: 1234,
    });
    expect(done.finishedAt).not.toBeNull();
    expect(broadcasts).toEqual([
      { event: "jobs:changed", payload: { id: job.id } },
      { event: "job:progress", payload: { id: job.id, progress: 40, progressSteps: null, statusLine: null } },
      {
        event: "job:progress",
        payload: { id: job.id, progress: 40, progressSteps: null, statusLine: "Linking" },
      },
      {
        event: "job:progress",
        payload: { id: job.id, progress: 75, progressSteps: { done: 3, total: 4 }, statusLine: "Linking" },
      },
      { event: "jobs:changed", payload: { id: job.id } },
    ]);
  });

  test("late, repeated and unknown events change nothing", async () => {
    const job = await createJob("false");
    await emit(
      { type: "started", id: job.id, at: at(), pid: 1 },
      { type: "finished", id: job.id, at: at(), outcome: "failed", exitCode: 3, reason: null },
    );
    const failed = await until(
      () => getJob(job.id),
      (value) => value.status === "failed",
    );
    broadcasts.length = 0;
    await emit(
      { type: "started", id: job.id, at: at(), pid: 2 },
      { type: "progress", id: job.id, at: at(), progress: 99 },
      { type: "status", id: job.id, at: at(), statusLine: "too late" },
      { type: "finished", id: job.id, at: at(), outcome: "succeeded", exitCode: 0, reason: null },
      { type: "finished", id: "no-such-job", at: at(), outcome: "succeeded", exitCode: 0, reason: null },
    );
    const valkey = await reader();
    await valkey.command(["XADD", JOB_EVENTS, "*", "event", "{not json"]);
    const last = String(await valkey.command(["XADD", JOB_EVENTS, "*", "event", '{"type":"exploded"}']));
    await until(
      () => store.eventsCursor(),
      (cursor) => cursor === last,
    );
    expect(await getJob(job.id)).toEqual(failed);
    expect(broadcasts).toEqual([]);
  });

  test("a restarted api resumes after the last event it applied, applying none twice", async () => {
    const job = await createJob("sleep 1");
    await emit({ type: "started", id: job.id, at: at(), pid: 7 });
    await until(
      () => getJob(job.id),
      (value) => value.status === "running",
    );
    const cursor = store.eventsCursor();
    await stopApi();
    await emit({ type: "progress", id: job.id, at: at(), progress: 70 });
    broadcasts.length = 0;
    await startApi();
    await until(
      () => getJob(job.id),
      (value) => value.progress === 70,
    );
    expect(store.eventsCursor() > cursor).toBe(true);
    // Only the event it had not seen is announced.
    expect(broadcasts).toEqual([
      { event: "job:progress", payload: { id: job.id, progress: 70, progressSteps: null, statusLine: null } },
    ]);
  });
});

describe("POST /jobs/{id}/cancel", () => {
  async function cancel(id: string): Promise<Response> {
    return call(`/jobs/${id}/cancel`, { method: "POST" });
  }

  async function cancelMark(id: string): Promise<string | null> {
    return (await reader()).get(jobCancelKey(id));
  }

  test("a queued job ends cancelled at once, and the worker is told to skip it", async () => {
    const job = await createJob("sleep 100");
    await until(queued, (list) => list.length > 0);
    const response = await cancel(job.id);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "cancelled",
      reason: "cancelled before it started",
    });
    expect(await cancelMark(job.id)).toBe("1");
    // The worker's started event, racing the cancel, changes nothing.
    await emit({ type: "started", id: job.id, at: at(), pid: 9 });
    await Bun.sleep(300);
    expect((await getJob(job.id)).status).toBe("cancelled");
  });

  test("a running job is asked to stop (202) and ends when the worker says so", async () => {
    const job = await createJob("sleep 100");
    await emit({ type: "started", id: job.id, at: at(), pid: 10 });
    await until(
      () => getJob(job.id),
      (value) => value.status === "running",
    );
    const response = await cancel(job.id);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: "running" });
    expect(await cancelMark(job.id)).toBe("1");
    await emit({
      type: "finished",
      id: job.id,
      at: at(),
      outcome: "cancelled",
      exitCode: null,
      reason: null,
    });
    await until(
      () => getJob(job.id),
      (value) => value.status === "cancelled",
    );
    // Cancelling again is fine and changes nothing.
    const again = await cancel(job.id);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "cancelled" });
  });

  test("a job that ended otherwise is a 409 conflict; an unknown one a 404", async () => {
    const job = await createJob("true");
    await emit({ type: "finished", id: job.id, at: at(), outcome: "succeeded", exitCode: 0, reason: null });
    await until(
      () => getJob(job.id),
      (value) => value.status === "succeeded",
    );
    const conflict = await cancel(job.id);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ type: "urn:convoy:problem:conflict" });
    expect(await cancelMark(job.id)).toBeNull();
    const missing = await cancel("no-such-job");
    expect(missing.status).toBe(404);
  });

  test("with Valkey down a running job cannot be cancelled: 503, and it stays running", async () => {
    const job = await createJob("sleep 100");
    await emit({ type: "started", id: job.id, at: at(), pid: 11 });
    await until(
      () => getJob(job.id),
      (value) => value.status === "running",
    );
    await server.kill();
    try {
      const response = await cancel(job.id);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ type: "urn:convoy:problem:valkey-unavailable" });
      expect((await getJob(job.id)).status).toBe("running");
    } finally {
      await server.launch();
    }
  });
});

describe("GET /jobs/{id}/output", () => {
  test("reads chunks in order, joining neighbours of one stream, and resumes from its cursor", async () => {
    const job = await createJob("build");
    await write(
      job.id,
      { kind: "text", stream: "stdout", text: "one\n" },
      { kind: "text", stream: "stdout", text: "two\n" },
      { kind: "text", stream: "stderr", text: "warn\n" },
    );
    const first = await output(job.id);
    expect(first.chunks).toEqual([
      { stream: "stdout", text: "one\ntwo\n" },
      { stream: "stderr", text: "warn\n" },
    ]);
    expect(first.end).toBe(false);
    const none = await output(job.id, `?after=${first.cursor}`);
    expect(none).toEqual({ chunks: [], cursor: first.cursor, end: false });

    await write(job.id, { kind: "text", stream: "stdout", text: "three\n" }, { kind: "end" });
    const rest = await output(job.id, `?after=${first.cursor}`);
    expect(rest.chunks).toEqual([{ stream: "stdout", text: "three\n" }]);
    expect(rest.end).toBe(true);
  });

  test("pages by limit without losing or repeating a chunk", async () => {
    const job = await createJob("seq");
    for (let i = 0; i < 25; i += 1) await write(job.id, { kind: "text", stream: "stdout", text: `${i}\n` });
    let cursor = "0";
    let text = "";
    for (let page = 0; page < 10; page += 1) {
      const next = await output(job.id, `?after=${cursor}&limit=10`);
      if (next.chunks.length === 0) break;
      text += next.chunks.map((chunk) => chunk.text).join("");
      cursor = next.cursor;
    }
    expect(text).toBe(Array.from({ length: 25 }, (_, i) => `${i}\n`).join(""));
  });

  test("a long poll answers as soon as output arrives", async () => {
    const job = await createJob("slow");
    const started = Date.now();
    const pending = output(job.id, "?wait=5000");
    await Bun.sleep(200);
    await write(job.id, { kind: "text", stream: "stdout", text: "late\n" });
    const answer = await pending;
    const took = Date.now() - started;
    expect(answer.chunks).toEqual([{ stream: "stdout", text: "late\n" }]);
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(4000);
  });

  test("many long polls at once all answer, beyond the pool of waiting connections", async () => {
    const job = await createJob("fan-out");
    const pending = Array.from({ length: 12 }, () => output(job.id, "?wait=5000"));
    await Bun.sleep(200);
    await write(job.id, { kind: "text", stream: "stdout", text: "all\n" });
    const answers = await Promise.all(pending);
    for (const answer of answers) expect(answer.chunks).toEqual([{ stream: "stdout", text: "all\n" }]);
  });

  test("an ended job with nothing more answers end at once, even when asked to wait", async () => {
    const job = await createJob("true");
    await emit({ type: "finished", id: job.id, at: at(), outcome: "succeeded", exitCode: 0, reason: null });
    await until(
      () => getJob(job.id),
      (value) => value.status === "succeeded",
    );
    const started = Date.now();
    const answer = await output(job.id, "?wait=5000");
    expect(answer).toEqual({ chunks: [], cursor: "0", end: true });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test("a cursor the document allows beyond Valkey's 64-bit ids reads as past the end", async () => {
    const job = await createJob("x");
    await write(job.id, { kind: "text", stream: "stdout", text: "early\n" });
    const max = "18446744073709551615";
    for (const after of [`${max}-0`, `${max}-${max}`, "99999999999999999999-0"]) {
      expect(await output(job.id, `?after=${after}`)).toEqual({ chunks: [], cursor: after, end: false });
    }
    // An oversized sequence is the last of its millisecond; later ones follow.
    const later = await output(job.id, "?after=1-99999999999999999999");
    expect(later.chunks).toEqual([{ stream: "stdout", text: "early\n" }]);
  });

  test("bad queries are 400 validation problems; an unknown job is a 404", async () => {
    const job = await createJob("x");
    for (const query of [
      "?after=yesterday",
      "?after=1-2-3",
      "?wait=-1",
      "?wait=25001",
      "?limit=0",
      "?limit=1001",
    ]) {
      const response = await call(`/jobs/${job.id}/output${query}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ type: "urn:convoy:problem:validation" });
    }
    expect((await call("/jobs/nope/output")).status).toBe(404);
  });

  test("with Valkey down it is a 503 problem", async () => {
    const job = await createJob("x");
    await server.kill();
    try {
      const response = await call(`/jobs/${job.id}/output`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ type: "urn:convoy:problem:valkey-unavailable" });
    } finally {
      await server.launch();
    }
  });
});

describe("a job's output kept in SQLite", () => {
  const lines = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join("");

  /** Writes as the worker does: one entry per piece, never trimmed (the copier trims). */
  async function workerWrites(id: string, texts: readonly string[]): Promise<string> {
    const valkey = await reader();
    let last = "";
    for (const text of texts) {
      const fields = encodeOutputEntry({ kind: "text", stream: "stdout", text });
      last = String(await valkey.command(["XADD", jobOutputKey(id), "*", ...fields]));
    }
    return last;
  }

  async function start(command: string): Promise<Job> {
    const job = await createJob(command);
    await emit({ type: "started", id: job.id, at: at(), pid: 12 });
    await until(
      () => getJob(job.id),
      (value) => value.status === "running",
    );
    return job;
  }

  /** Ends the job's output and the job; `afterEnd` runs once the end marker is in Valkey. */
  async function finish(id: string, afterEnd?: () => Promise<void>): Promise<void> {
    await write(id, { kind: "end" });
    await afterEnd?.();
    await emit({ type: "finished", id, at: at(), outcome: "succeeded", exitCode: 0, reason: null });
    await until(
      () =>
        db.query<{ c: number }, [string]>("SELECT output_complete AS c FROM jobs WHERE id = ?").get(id)?.c,
      (complete) => complete === 1,
    );
  }

  const copiedUpTo = (id: string) =>
    streamId(
      db.query<{ copied: string }, [string]>("SELECT output_copied AS copied FROM jobs WHERE id = ?").get(id)
        ?.copied ?? "",
    );

  test("stream ids keep their order and value in the stored form", () => {
    const ids = [
      "0",
      "9-0",
      "10-0",
      "10-2",
      "10-11",
      "1732000000000-5",
      "99999999999999999999-99999999999999999999",
    ];
    const stored = ids.map(storedEntry);
    expect([...stored].sort()).toEqual(stored);
    expect(stored.map(streamId)).toEqual(ids);
  });

  test("is copied as the job runs, leaves Valkey once all is copied, and reads the same", async () => {
    const job = await start("build");
    const last = await workerWrites(job.id, ["one\n", "two\n"]);
    await write(job.id, { kind: "text", stream: "stderr", text: "warn\n" });
    await until(
      () => copiedUpTo(job.id),
      (copied) => copied !== "0" && storedEntry(copied) > storedEntry(last),
    );
    const live = await output(job.id);
    expect(live.chunks).toEqual([
      { stream: "stdout", text: "one\ntwo\n" },
      { stream: "stderr", text: "warn\n" },
    ]);
    expect(live.end).toBe(false);

    // What follows the copied part, read at once from Valkey (the end marker), answers as
    // the stored form does later: the same cursor.
    let fromValkey: JobOutput | undefined;
    await finish(job.id, async () => {
      fromValkey = await output(job.id, `?after=${live.cursor}&wait=5000`);
    });
    expect(fromValkey).toEqual({ chunks: [], cursor: live.cursor, end: true });
    const valkey = await reader();
    await until(
      () => valkey.command(["EXISTS", jobOutputKey(job.id)]),
      (exists) => exists === 0,
    );
    expect(await output(job.id)).toEqual({ ...live, end: true });
    expect(await output(job.id, `?after=${live.cursor}&wait=5000`)).toEqual({
      chunks: [],
      cursor: live.cursor,
      end: true,
    });
  });

  test("a job writing far more than Valkey keeps loses nothing, read afterwards or followed live", async () => {
    const job = await start("seq 1 12000");
    const total = 12_000;
    const perEntry = 2;
    // A follower reading live, as a window does, while entries move to SQLite under it.
    const followed = readToEnd(job.id, "&limit=50&wait=2000");
    let largest = 0;
    for (let from = 0; from < total; from += 1000) {
      const texts = Array.from({ length: 1000 / perEntry }, (_, i) =>
        lines(from + i * perEntry, from + (i + 1) * perEntry),
      );
      const last = await workerWrites(job.id, texts);
      largest = Math.max(largest, Number(await (await reader()).command(["XLEN", jobOutputKey(job.id)])));
      await until(
        () => copiedUpTo(job.id),
        (copied) => copied !== "0" && storedEntry(copied) >= storedEntry(last),
      );
    }
    // Valkey never held more than a part of it.
    expect(largest).toBeLessThan(total / perEntry);
    await finish(job.id);
    const expected: JobOutput["chunks"] = [{ stream: "stdout", text: lines(0, total) }];
    expect(await followed).toEqual(expected);
    expect(await readToEnd(job.id, "&limit=1000")).toEqual(expected);
  });

  test("once copied, it is read with Valkey down, and by an api started afresh", async () => {
    const job = await start("echo kept");
    await workerWrites(job.id, ["kept\n"]);
    await finish(job.id);
    await stopApi();
    await server.kill();
    try {
      await startApi({ valkeyUp: false });
      expect(await output(job.id)).toEqual({
        chunks: [{ stream: "stdout", text: "kept\n" }],
        cursor: expect.any(String),
        end: true,
      });
    } finally {
      await server.launch();
    }
  });

  test("a job that ended without an end entry (its worker died) is complete once its stream is read", async () => {
    const job = await start("sleep 100");
    await workerWrites(job.id, ["before the kill\n"]);
    await emit({
      type: "finished",
      id: job.id,
      at: at(),
      outcome: "interrupted",
      exitCode: null,
      reason: "worker died",
    });
    await until(
      () =>
        db.query<{ c: number }, [string]>("SELECT output_complete AS c FROM jobs WHERE id = ?").get(job.id)
          ?.c,
      (complete) => complete === 1,
    );
    expect(await readToEnd(job.id)).toEqual([{ stream: "stdout", text: "before the kill\n" }]);
  });
});

describe("a Valkey that lost its data", () => {
  test("gets every job still queued again", async () => {
    const job = await createJob("echo twice");
    await until(queued, (list) => list.length === 1);
    // As if Valkey restarted without its append-only file.
    await (await reader()).command(["FLUSHALL"]);
    const entries = await until(queued, (list) => list.length > 0, 5000);
    expect(entries).toEqual([{ id: job.id, command: "echo twice" }]);
  });

  test("a job that started is not sent again", async () => {
    const job = await createJob("echo once");
    await until(queued, (list) => list.length === 1);
    await emit({ type: "started", id: job.id, at: at(), pid: 12 });
    await until(
      () => getJob(job.id),
      (value) => value.status === "running",
    );
    await (await reader()).command(["FLUSHALL"]);
    await Bun.sleep(1500);
    expect(await queued()).toEqual([]);
  });
});
