/**
 * A job's output bounded without losing what is kept, against a real
 * redis-server, the real worker as a child process and the api's own loops
 * (events reader, output copier) over a real SQLite file. With no copier
 * running (the api down) the worker stops reading a flooding job once its
 * backlog is full, so the job's writes block and nothing is trimmed; once a
 * copier runs, every line arrives, in order. A run past its output cap keeps
 * its first bytes and one notice, counts the rest, and keeps its exit code.
 */
import type { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { connectValkey, LineLogger, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import { runJobEvents } from "../src/jobs/events.ts";
import { runOutputCopier } from "../src/jobs/output-copier.ts";
import { joinChunks, OutputStore } from "../src/jobs/output-store.ts";
import { jobOutputKey } from "../src/jobs/queue.ts";
import type { Job, JobOutput } from "../src/jobs/schemas.ts";
import { JobStore } from "../src/jobs/store.ts";
import { truncationNotice } from "../src/runner/output-budget.ts";
import { migratedDatabase } from "./migrated-database.ts";
import { enqueue } from "./runner-harness.ts";
import { type Sidecar, Sidecars } from "./sidecar-process.ts";
import { TempDirs } from "./temp-dirs.ts";

const READY = /^convoy:ready worker\n/m;
/** How often the copier here copies (the api's: every second). */
const COPY_EVERY_MS = 20;

const temp = new TempDirs();
const sidecars = new Sidecars();
const connections: ValkeyConnection[] = [];
const stops: AbortController[] = [];
const loops: Promise<unknown>[] = [];
let server: RedisServer;
let db: Database;
let store: JobStore;
let outputs: OutputStore;
let valkey: ValkeyConnection;
let home: string;

function connect(name: string): ValkeyConnection {
  const connection = connectValkey({
    socket: server.socket,
    password: server.password,
    name,
    logger: new LineLogger(() => {}),
  });
  connections.push(connection);
  return connection;
}

beforeEach(async () => {
  server = await RedisServer.start();
  const dataDir = temp.create();
  home = temp.create("runbook-home-");
  db = migratedDatabase(dataDir);
  store = new JobStore(db);
  outputs = new OutputStore(db);
  valkey = connect("test");
  await valkey.untilUp();
  startLoop((signal) => runJobEvents(store, connect("api-events"), signal, () => {}));
});

afterEach(async () => {
  await sidecars.killAll();
  for (const stop of stops.splice(0)) stop.abort();
  await Promise.all(loops.splice(0));
  for (const connection of connections.splice(0)) connection.close();
  db.close();
  await server.dispose();
  temp.removeAll();
});

function startLoop(loop: (signal: AbortSignal) => Promise<unknown>): void {
  const stop = new AbortController();
  stops.push(stop);
  loops.push(loop(stop.signal));
}

/** The api's copier, as roles/api.ts runs it. */
function startCopier(): void {
  startLoop((signal) => runOutputCopier(outputs, connect("api-output-copier"), signal, COPY_EVERY_MS));
}

async function readyWorker(extra: Record<string, string>): Promise<Sidecar> {
  const worker = sidecars.start(["worker"], {
    CONVOY_DATA_DIR: temp.create(),
    CONVOY_VALKEY_SOCKET: server.socket,
    CONVOY_VALKEY_PASSWORD: server.password,
    HOME: home,
    ...extra,
  });
  await worker.stdout.waitFor(READY, 5000);
  return worker;
}

/** A job as the api submits one: in SQLite, then on Valkey's queue. */
async function submit(command: string): Promise<string> {
  const job = store.create({ command });
  await enqueue(valkey, job.id, command);
  store.markEnqueued(job.id);
  return job.id;
}

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, ms: number, what: string) {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > deadline)
      throw new Error(`${what} not within ${ms} ms: ${JSON.stringify(value)}`);
    await Bun.sleep(20);
  }
}

const job = (id: string): Job => {
  const found = store.get(id);
  if (found === null) throw new Error(`no job ${id}`);
  return found;
};

const complete = (id: string) =>
  db.query<{ c: number }, [string]>("SELECT output_complete AS c FROM jobs WHERE id = ?").get(id)?.c === 1;

/** Everything copied into SQLite, page by page, as the api reads it. */
function storedOutput(id: string): JobOutput["chunks"] {
  const pages: JobOutput["chunks"] = [];
  let after = "0";
  for (;;) {
    const page = outputs.read(id, after, 1000);
    if (page === null) throw new Error("the output is not all copied");
    pages.push(...page.chunks);
    if (page.end) return joinChunks(pages);
    after = page.cursor;
  }
}

const backlog = async (id: string) => Number(await valkey.command(["XLEN", jobOutputKey(id)]));

describe("with the api's copier down", () => {
  test("a flooding job stops being read at the backlog, and loses no line once a copier runs", async () => {
    const backlogEntries = 32;
    const worker = await readyWorker({ RUNBOOK_OUTPUT_BACKLOG_ENTRIES: String(backlogEntries) });
    const lines = 100_000;
    // ~11 MB; every 100 lines it notes how far it got (in its home directory, its cwd).
    const id = await submit(
      `awk 'BEGIN { for (i = 1; i <= ${lines}; i++) { printf "%06d %0100d\\n", i, 0; if (i % 100 == 0) { print i > "written"; close("written") } } }'`,
    );
    const written = join(home, "written");
    const progress = () => (existsSync(written) ? Number(readFileSync(written, "utf8")) : 0);

    await until(
      () => backlog(id),
      (length) => length === backlogEntries,
      10_000,
      "a full backlog",
    );
    // Then its pipe and its own buffer fill, and it blocks.
    await Bun.sleep(500);
    const heldAt = await until(progress, (count) => count > 0, 1000, "a note of its progress");
    let largest = 0;
    const sampler = setInterval(
      () => void backlog(id).then((length) => (largest = Math.max(largest, length))),
      10,
    );
    await Bun.sleep(1500);
    clearInterval(sampler);
    // Held: its writes block (it got no further), the stream did not grow, it has not ended.
    expect(progress()).toBe(heldAt);
    expect(heldAt).toBeLessThan(lines);
    expect(largest).toBe(backlogEntries);
    expect(job(id).status).toBe("running");
    await worker.stderr.waitFor(
      new RegExp(`^info job output held back until the api copies it id=${id} `, "m"),
    );

    startCopier();
    await until(
      () => job(id).status,
      (status) => status === "succeeded",
      60_000,
      "the job's end",
    );
    await until(() => complete(id), Boolean, 10_000, "the output copied");
    const chunks = storedOutput(id);
    expect(chunks.map((chunk) => chunk.stream)).toEqual(["stdout"]);
    const expected = Array.from(
      { length: lines },
      (_, i) => `${String(i + 1).padStart(6, "0")} ${"0".repeat(100)}\n`,
    );
    const text = chunks[0]?.text ?? "";
    // Compared line by line: a failure names the first line out of place, not 11 MB.
    const got = text.split("\n");
    expect(got.pop()).toBe("");
    expect(got.length).toBe(lines);
    expect(got.findIndex((line, i) => `${line}\n` !== expected[i])).toBe(-1);
    expect(job(id)).toMatchObject({ exitCode: 0, outputDroppedBytes: 0 });
    // Everything copied, the stream is gone.
    expect(await valkey.command(["EXISTS", jobOutputKey(id)])).toBe(0);
  }, 90_000);
});

describe("a run past its output cap", () => {
  test("keeps its first bytes and one notice, counts the rest, runs to its end and keeps its exit code", async () => {
    const maxBytes = 4096;
    await readyWorker({ RUNBOOK_OUTPUT_MAX_BYTES: String(maxBytes) });
    startCopier();
    // The pause puts the stderr line surely after the cap, whatever the pipes hold.
    const id = await submit("seq 1 20000; sleep 0.2; echo done >&2; exit 3");
    await until(
      () => job(id).status,
      (status) => status === "failed",
      20_000,
      "the job's end",
    );
    await until(() => complete(id), Boolean, 10_000, "the output copied");

    const seq = Array.from({ length: 20_000 }, (_, i) => `${i + 1}\n`).join("");
    const total = Buffer.byteLength(seq) + Buffer.byteLength("done\n");
    expect(storedOutput(id)).toEqual([
      { stream: "stdout", text: seq.slice(0, maxBytes) },
      { stream: "stderr", text: truncationNotice(maxBytes) },
    ]);
    // It ran on to its `exit 3`: the line after seq was read (and dropped), its code kept.
    expect(job(id)).toMatchObject({ status: "failed", exitCode: 3, outputDroppedBytes: total - maxBytes });
  }, 30_000);
});
