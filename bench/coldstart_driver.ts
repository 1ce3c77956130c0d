/**
 * The driver of bench/coldstart.sh (Bun, Linux): spawns each server and times
 * exec → ready, polling as a supervisor would, then stops it; spawns each floor
 * and times exec → exit. Everything takes turns run by run, after one discarded
 * round that warms the page cache. Writes every raw figure to one JSON file.
 *
 *   bun bench/coldstart_driver.ts --bun <bun> --entry <main.ts> [--compiled <exe>]
 *     --python <venv python> --fastapi-app <app.py>
 *     --noop <noop.ts> [--noop-compiled <exe>] --first-write <first_write.ts> [--first-write-compiled <exe>]
 *     --steps <coldstart_steps.ts> --data-dir <migrated dir> --out <file.json> [--runs 20] [--seed 1000]
 *
 * Servers: the api role compiled and under Bun, and the FastAPI baseline under
 * uvicorn, all on one database seeded (through the api under Bun) before timing.
 * Floors, each timed exec → exit: the spawn itself (/bin/true), each runtime doing
 * nothing (Bun, compiled Bun, the venv's Python), Bun writing one line to stdout,
 * and each loading its code and stopping there (the sidecar with no role; Python
 * importing FastAPI and uvicorn). Each round also runs coldstart_steps.ts once
 * (the api's start-up step by step, under Bun); at the end, `python -X importtime`
 * splits the baseline's imports by package.
 *
 * Two readiness figures per server start:
 * - ready line: its first line matching the ready regex (the sidecar's
 *   `convoy:ready` on stdout; uvicorn's "Uvicorn running on" on stderr), timed
 *   when this process reads it, between probes, so late by up to one probe;
 * - /health: the first `GET /health` answered 200, tried every POLL_MS from the
 *   moment of exec (a refused connection costs microseconds), which is what the
 *   shell's probe waits for, and is the same test for every server.
 */

import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { setTimeout } from "node:timers/promises";
import { parseArgs } from "node:util";
import { freePort } from "@convoy/testing";
import { requiredOption } from "./lib/report.ts";

const POLL_MS = 1;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

const { values: args } = parseArgs({
  options: {
    bun: { type: "string" },
    entry: { type: "string" },
    compiled: { type: "string" },
    python: { type: "string" },
    "fastapi-app": { type: "string" },
    noop: { type: "string" },
    "noop-compiled": { type: "string" },
    "first-write": { type: "string" },
    "first-write-compiled": { type: "string" },
    steps: { type: "string" },
    "data-dir": { type: "string" },
    out: { type: "string" },
    runs: { type: "string", default: "20" },
    seed: { type: "string", default: "1000" },
  },
});
const required = (name: string) => requiredOption("coldstart_driver.ts", args, name);
const bun = required("bun");
const entry = required("entry");
const python = required("python");
const dataDir = required("data-dir");
const runs = Number(args.runs);
const seedJobs = Number(args.seed);

interface ServerSpec {
  name: string;
  label: string;
  command: string[];
  ready_regex: string;
  ready_stream: "stdout" | "stderr";
}
interface FloorSpec {
  name: string;
  label: string;
  command: string[];
  exit_code?: number;
}

function buildSpec(): { servers: ServerSpec[]; floors: FloorSpec[]; seed_through: string } {
  const sidecarReady = { ready_regex: "^convoy:ready ", ready_stream: "stdout" } as const;
  const servers: ServerSpec[] = [
    ...(args.compiled
      ? [
          {
            name: "compiled",
            label: "sidecar api, compiled",
            command: [args.compiled, "api"],
            ...sidecarReady,
          },
        ]
      : []),
    { name: "bun", label: "sidecar api, under Bun", command: [bun, entry, "api"], ...sidecarReady },
    {
      name: "fastapi",
      label: "FastAPI baseline, uvicorn",
      command: [python, required("fastapi-app")],
      ready_regex: "Uvicorn running on",
      ready_stream: "stderr",
    },
  ];
  const noopCompiled = args["noop-compiled"];
  const firstWriteCompiled = args["first-write-compiled"];
  const floors: FloorSpec[] = [
    { name: "spawn", label: "spawn floor: `/bin/true`", command: ["/bin/true"] },
    ...(noopCompiled
      ? [
          {
            name: "bun_runtime_compiled",
            label: "Bun runtime, compiled: an empty program",
            command: [noopCompiled],
          },
        ]
      : []),
    { name: "bun_runtime", label: "Bun runtime: `bun noop.ts`", command: [bun, required("noop")] },
    ...(firstWriteCompiled
      ? [
          {
            name: "bun_first_write_compiled",
            label: "Bun runtime, compiled, writing one line with `process.stdout.write`",
            command: [firstWriteCompiled],
          },
        ]
      : []),
    {
      name: "bun_first_write",
      label: "Bun runtime writing one line: `bun first_write.ts`",
      command: [bun, required("first-write")],
    },
    ...(args.compiled
      ? [
          {
            name: "sidecar_load_compiled",
            label: "sidecar compiled, no role: loads its code, exits 2",
            command: [args.compiled],
            exit_code: 2,
          },
        ]
      : []),
    {
      name: "sidecar_load_bun",
      label: "sidecar under Bun, no role: loads its code, exits 2",
      command: [bun, entry],
      exit_code: 2,
    },
    {
      name: "python_runtime",
      label: "Python runtime: `python -c pass` (the venv's)",
      command: [python, "-c", "pass"],
    },
    {
      name: "python_imports",
      label: "Python importing FastAPI, uvicorn and sqlite3",
      command: [python, "-c", "import fastapi, uvicorn, sqlite3"],
    },
  ];
  return { servers, floors, seed_through: "bun" };
}

const token = randomBytes(32).toString("hex");

function envFor(port: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("CONVOY_") && value !== undefined) env[key] = value;
  }
  return {
    ...env,
    CONVOY_DATA_DIR: dataDir,
    CONVOY_API_PORT: String(port),
    CONVOY_API_TOKEN: token,
    CONVOY_STDIN_WATCHDOG: "0",
  };
}

/** True once GET /health answers 200; false while nothing listens yet. */
async function healthAnswered(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, {
      headers: { connection: "close" },
      keepalive: false,
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** One start of a server: spawned by `start`, timed by `waitReady`. */
class Server {
  readonly output = { stdout: "", stderr: "" };
  lineMs: number | null = null;
  private constructor(
    readonly spec: ServerSpec,
    readonly port: number,
    readonly t0: number,
    readonly child: Bun.Subprocess<"ignore", "pipe", "pipe">,
  ) {
    const ready = new RegExp(spec.ready_regex, "m");
    for (const name of ["stdout", "stderr"] as const) {
      void this.drain(name, () => {
        if (this.lineMs === null && name === spec.ready_stream && ready.test(this.output[name])) {
          this.lineMs = this.elapsedMs();
        }
      });
    }
  }

  static async start(spec: ServerSpec): Promise<Server> {
    const port = await freePort();
    const env = envFor(port);
    const t0 = performance.now();
    const child = Bun.spawn(spec.command, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    return new Server(spec, port, t0, child);
  }

  elapsedMs(): number {
    return performance.now() - this.t0;
  }

  private async drain(name: "stdout" | "stderr", onChunk: () => void): Promise<void> {
    const decoder = new TextDecoder();
    const reader = this.child[name].getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      this.output[name] += decoder.decode(read.value, { stream: true });
      onChunk();
    }
  }

  /** (exec → ready line, exec → /health 200), in ms. */
  async waitReady(): Promise<{ lineMs: number; healthMs: number }> {
    let healthMs: number | null = null;
    try {
      while (this.lineMs === null || healthMs === null) {
        if (healthMs === null && (await healthAnswered(this.port))) healthMs = this.elapsedMs();
        if (this.child.exitCode !== null) {
          throw new Error(`${this.spec.name} exited ${this.child.exitCode} before it was ready`);
        }
        if (this.elapsedMs() > READY_TIMEOUT_MS) {
          throw new Error(`${this.spec.name} was not ready within ${READY_TIMEOUT_MS} ms`);
        }
        if (this.lineMs === null || healthMs === null) await setTimeout(POLL_MS);
      }
    } catch (error) {
      await this.stop();
      const tail = (this.output.stdout + this.output.stderr).slice(-2000);
      throw new Error(`${(error as Error).message}; its output:\n${tail}`);
    }
    return { lineMs: this.lineMs, healthMs };
  }

  /** SIGTERM → exit, in ms (null if it had already gone, or needed SIGKILL after STOP_TIMEOUT_MS). */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return null;
    const t = performance.now();
    this.child.kill("SIGTERM");
    const exited = await Promise.race([
      this.child.exited.then(() => true),
      setTimeout(STOP_TIMEOUT_MS, false),
    ]);
    if (exited) return performance.now() - t;
    this.child.kill("SIGKILL");
    await this.child.exited;
    return null;
  }
}

/** exec → exit of a command that exits by itself, in ms. */
function timeFloor(spec: FloorSpec): number {
  const t0 = performance.now();
  const { exitCode } = Bun.spawnSync(spec.command, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const ms = performance.now() - t0;
  if (exitCode !== (spec.exit_code ?? 0))
    throw new Error(`${spec.name}: ${spec.command.join(" ")} exited ${exitCode}`);
  return ms;
}

async function request(port: number, method: string, path: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** coldstart_steps.ts's marks: ms since its process started, at the end of each step. */
async function runSteps(command: string[]): Promise<Record<string, number>> {
  const out = Bun.spawnSync(command, { env: envFor(await freePort()), stdin: "ignore" });
  if (out.exitCode !== 0) {
    throw new Error(`${command.join(" ")} exited ${out.exitCode}:\n${out.stderr.toString().slice(-2000)}`);
  }
  return JSON.parse(out.stdout.toString().trim().split("\n").at(-1) ?? "{}");
}

/**
 * `python -X importtime` of the baseline's imports, self time summed per top-level
 * package (ms, median of `count`): which packages its import time is spent in.
 */
function pythonImportTimes(count = 5): Record<string, number> {
  const perRun: Map<string, number>[] = [];
  for (let i = 0; i < count; i++) {
    const out = Bun.spawnSync([python, "-X", "importtime", "-c", "import fastapi, uvicorn, sqlite3"]);
    if (out.exitCode !== 0) throw new Error(`python -X importtime exited ${out.exitCode}`);
    const totals = new Map<string, number>();
    for (const line of out.stderr.toString().split("\n")) {
      // "import time:       self [us] |  cumulative | imported package"
      const fields = line.replace(/^import time:/, "").split("|");
      const self = fields[0]?.trim() ?? "";
      if (fields.length !== 3 || !/^\d+$/.test(self)) continue;
      const name = (fields[2] ?? "").trim().split(".")[0] ?? "";
      totals.set(name, (totals.get(name) ?? 0) + Number(self) / 1000);
    }
    perRun.push(totals);
  }
  const names = new Set(perRun.flatMap((totals) => [...totals.keys()]));
  return Object.fromEntries(
    [...names].map((name) => {
      const sorted = perRun.map((totals) => totals.get(name) ?? 0).sort((a, b) => a - b);
      return [name, sorted[Math.floor(count / 2)] as number];
    }),
  );
}

/**
 * Creates `count` jobs through the seeding server, then checks every server
 * answers GET /jobs?limit=20 with the same page: the baselines must do the same work.
 */
async function seedAndCompare(
  spec: ReturnType<typeof buildSpec>,
  count: number,
): Promise<Record<string, number>> {
  const order = [
    ...spec.servers.filter((s) => s.name === spec.seed_through),
    ...spec.servers.filter((s) => s.name !== spec.seed_through),
  ];
  const pages: Record<string, unknown> = {};
  for (const serverSpec of order) {
    const server = await Server.start(serverSpec);
    try {
      await server.waitReady();
      if (serverSpec.name === spec.seed_through) {
        for (let i = 0; i < count; i++) {
          const { status } = await request(server.port, "POST", "/jobs", {
            command: `make test SHARD=${i % 16} # job ${i} of the benchmark seed`,
          });
          if (status !== 201) throw new Error(`seeding: POST /jobs answered ${status}`);
        }
      }
      const { status, text } = await request(server.port, "GET", "/jobs?limit=20");
      if (status !== 200)
        throw new Error(`${serverSpec.name}: GET /jobs?limit=20 answered ${status}: ${text.slice(0, 300)}`);
      pages[serverSpec.name] = JSON.parse(text);
    } finally {
      await server.stop();
    }
  }
  // Equal as values: the same fields and figures, whatever order each server writes its keys in.
  const first = pages[spec.seed_through];
  for (const [name, page] of Object.entries(pages)) {
    if (!Bun.deepEquals(page, first, true)) {
      throw new Error(
        `${name} answers GET /jobs?limit=20 differently from ${spec.seed_through}; their first items:\n` +
          `${JSON.stringify((page as { items: unknown[] }).items[0])}\n${JSON.stringify((first as { items: unknown[] }).items[0])}`,
      );
    }
  }
  return Object.fromEntries(Object.entries(pages).map(([name, page]) => [name, JSON.stringify(page).length]));
}

const spec = buildSpec();
console.log(`seed ${seedJobs} jobs through ${spec.seed_through}; check every server answers the same page`);
const pageBytes = await seedAndCompare(spec, seedJobs);

const figures = {
  phase: "coldstart",
  spec,
  runs_per_item: runs,
  seed_jobs: seedJobs,
  page_bytes: pageBytes,
  poll_ms: POLL_MS,
  servers: Object.fromEntries(
    spec.servers.map((s) => [
      s.name,
      { ready_line_ms: [] as number[], health_ms: [] as number[], stop_ms: [] as (number | null)[] },
    ]),
  ),
  floors: Object.fromEntries(spec.floors.map((f) => [f.name, { exit_ms: [] as number[] }])),
  steps: [] as Record<string, number>[],
  python_import_ms: null as Record<string, number> | null,
};
// Round 0 warms the page cache and is discarded.
for (let round = 0; round <= runs; round++) {
  for (const serverSpec of spec.servers) {
    const server = await Server.start(serverSpec);
    const { lineMs, healthMs } = await server.waitReady();
    const stopMs = await server.stop();
    const record = figures.servers[serverSpec.name];
    if (round > 0 && record) {
      record.ready_line_ms.push(lineMs);
      record.health_ms.push(healthMs);
      record.stop_ms.push(stopMs);
    }
  }
  for (const floor of spec.floors) {
    const ms = timeFloor(floor);
    if (round > 0) figures.floors[floor.name]?.exit_ms.push(ms);
  }
  const steps = await runSteps([bun, required("steps")]);
  if (round > 0) {
    figures.steps.push(steps);
    const summary = Object.entries(figures.servers)
      .map(([name, r]) => `${name} ${(r.health_ms.at(-1) ?? 0).toFixed(0)}`)
      .join(", ");
    console.log(`[${round}/${runs}] exec → /health, ms: ${summary}`);
  }
}
figures.python_import_ms = pythonImportTimes();
writeFileSync(required("out"), `${JSON.stringify(figures, null, 2)}\n`);
