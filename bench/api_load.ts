/**
 * The driver of bench/api.sh (Bun, Linux: it reads /proc). Starts the servers
 * under test side by side, seeds the jobs table through the api, checks every
 * target answers as it should, then loads each with autocannon on loopback,
 * the servers taking turns run by run so a busy spell on the shared machine
 * does not land on one only. Writes every raw figure to one JSON file.
 *
 *   bun bench/api_load.ts --bun <bun> --entry <main.ts> --hello <hello.ts> [--compiled <exe>]
 *     --data-dir <empty dir> --out <file.json> [--duration 10] [--reps 3] [--connections 10,50]
 *     [--warmup 3] [--seed 1000]
 *
 * Servers: the floor (`bun hello.ts`), the api under Bun and, if given, compiled.
 * Both api servers share one data dir, migrated and seeded once. Per repetition:
 * GET /jobs?limit=20 on each api and GET / on the floor at every connection
 * count, then the breakdown (GET /health and GET /jobs?limit=1 on the shipped
 * api, 10 connections).
 */

import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { freePort, waitFor } from "@convoy/testing";
import autocannon from "autocannon";
import { alive, cpuMs, cpuTimes, loadavg } from "./lib/proc.ts";
import { requiredOption } from "./lib/report.ts";
import { percentile } from "./lib/stats.ts";

const READY_LINE = "convoy:ready";
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const JOBS_PAGE = "/jobs?limit=20";

const { values: args } = parseArgs({
  options: {
    bun: { type: "string" },
    entry: { type: "string" },
    hello: { type: "string" },
    compiled: { type: "string" },
    "data-dir": { type: "string" },
    out: { type: "string" },
    duration: { type: "string", default: "10" },
    reps: { type: "string", default: "3" },
    connections: { type: "string", default: "10,50" },
    warmup: { type: "string", default: "3" },
    seed: { type: "string", default: "1000" },
  },
});
const required = (name: string) => requiredOption("api_load.ts", args, name);
const bun = required("bun");
const entry = required("entry");
const hello = required("hello");
const dataDir = required("data-dir");
const outFile = required("out");

interface ServerSpec {
  name: string;
  label: string;
  command: string[];
}
interface Target {
  server: string;
  path: string;
}

const durationSeconds = Number(args.duration);
const apiServers: ServerSpec[] = [
  { name: "api-bun", label: "api under Bun", command: [bun, entry, "api"] },
  ...(args.compiled
    ? [{ name: "api-compiled", label: "api compiled", command: [args.compiled, "api"] }]
    : []),
];
const shipped = (apiServers.at(-1) as ServerSpec).name;
const config = {
  dataDir,
  servers: [
    { name: "floor", label: "floor: bare Bun.serve hello-world", command: [bun, hello] },
    ...apiServers,
  ] as ServerSpec[],
  migrate: [bun, entry, "migrate"],
  seedJobs: Number(args.seed),
  warmupSeconds: Number(args.warmup),
  durationSeconds,
  repetitions: Number(args.reps),
  connections: String(args.connections).split(",").map(Number),
  // The load generator's runtime: the record says what drove the load.
  loadGenerator: { runtime: "bun", version: Bun.version },
  matrix: [
    { server: "floor", path: "/" },
    ...apiServers.map(({ name }) => ({ server: name, path: JOBS_PAGE })),
  ] as Target[],
  breakdown: {
    connections: 10,
    durationSeconds,
    targets: [
      { server: shipped, path: "/health" },
      { server: shipped, path: "/jobs?limit=1" },
    ] as Target[],
  },
};
const token = randomBytes(32).toString("hex");

function serverEnv(port: number): Record<string, string | undefined> {
  return {
    ...process.env,
    CONVOY_DATA_DIR: config.dataDir,
    CONVOY_API_PORT: String(port),
    CONVOY_API_TOKEN: token,
    CONVOY_STDIN_WATCHDOG: "0",
  };
}

/** Runs a one-shot command (the migrate role) to completion; throws on failure. */
async function runToEnd(command: string[]): Promise<void> {
  const child = Bun.spawn(command, { env: serverEnv(0), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${command.join(" ")} exited ${code}: ${stdout}${stderr}`);
}

interface Server {
  name: string;
  port: number;
  child: Bun.Subprocess<"ignore", "pipe", "pipe">;
}

/** Reads a stream to its end, chunk by chunk, so the child never blocks on a full pipe. */
async function drain(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    onText(decoder.decode(read.value, { stream: true }));
  }
}

/** Starts a server and resolves once it prints the ready line; keeps its output drained. */
async function start(spec: ServerSpec): Promise<Server> {
  const port = await freePort();
  const child = Bun.spawn(spec.command, {
    env: serverEnv(port),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let tail = "";
  let stdout = "";
  let ready = false;
  void drain(child.stdout, (text) => {
    tail = (tail + text).slice(-4000);
    if (!ready) {
      stdout += text;
      ready = stdout.split("\n").some((line) => line.startsWith(READY_LINE));
    }
  });
  void drain(child.stderr, (text) => {
    tail = (tail + text).slice(-4000);
  });
  await waitFor(
    () => {
      if (child.exitCode !== null)
        throw new Error(`${spec.name} exited ${child.exitCode} before it was ready:\n${tail}`);
      return ready;
    },
    {
      timeout: READY_TIMEOUT_MS,
      interval: 5,
      message: `${spec.name}: no ready line in ${READY_TIMEOUT_MS} ms`,
    },
  );
  return { name: spec.name, port, child };
}

async function stop(server: Server): Promise<number | null> {
  if (server.child.exitCode !== null) return server.child.exitCode;
  server.child.kill("SIGTERM");
  const kill = setTimeout(() => server.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  const code = await server.child.exited;
  clearTimeout(kill);
  return code;
}

function rssKb(pid: number): number | null {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) : null;
}

function headersFor(path: string): Record<string, string> {
  return path === "/" || path === "/health" ? {} : { authorization: `Bearer ${token}` };
}

async function get(server: Server, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: headersFor(path) });
  return { status: response.status, body: await response.text() };
}

/** Creates `count` jobs through the api, 10 requests in flight. */
async function seed(server: Server, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const response = await fetch(`http://127.0.0.1:${server.port}/jobs`, {
        method: "POST",
        headers: { ...headersFor("/jobs"), "content-type": "application/json" },
        body: JSON.stringify({ command: `make test SHARD=${i % 16} # job ${i} of the benchmark seed` }),
      });
      if (response.status !== 201) throw new Error(`seeding: POST /jobs answered ${response.status}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
}

function runAutocannon(
  options: autocannon.Options,
  onLatency: (ms: number) => void,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode <= 299) onLatency(responseTime);
    });
  });
}

/**
 * One autocannon run against one server. Latencies are kept here at full
 * precision (autocannon's own histogram counts whole milliseconds).
 */
async function load(server: Server, path: string, connections: number, seconds: number) {
  let latencies = new Float64Array(1 << 18);
  let count = 0;
  const pid = server.child.pid;
  const cpuBefore = cpuMs(pid) ?? 0;
  const clientBefore = process.cpuUsage();
  const machineBefore = cpuTimes();
  const loadBefore = loadavg()[0] ?? null;
  const result = await runAutocannon(
    {
      url: `http://127.0.0.1:${server.port}${path}`,
      connections,
      duration: seconds,
      headers: headersFor(path),
    },
    (ms) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = ms;
    },
  );
  const client = process.cpuUsage(clientBefore);
  const machineAfter = cpuTimes();
  const serverCpuMs = (cpuMs(pid) ?? 0) - cpuBefore;
  const sorted = Array.from(latencies.subarray(0, count).sort());
  const requests = result["2xx"];
  const machineTotal = machineAfter.total - machineBefore.total;
  const toCores = (ticks: number) =>
    machineTotal > 0 ? (ticks / machineTotal) * availableParallelism() : null;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    server: server.name,
    path,
    connections,
    duration_s: result.duration,
    requests_2xx: requests,
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    rps: requests / result.duration,
    latency_ms: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      mean: count ? sum / count : null,
      max: count ? (sorted[count - 1] as number) : null,
    },
    bytes_per_response: requests ? result.throughput.total / requests : null,
    server_cpu_ms: serverCpuMs,
    server_cpu_us_per_request: requests ? (serverCpuMs * 1000) / requests : null,
    client_cpu_ms: (client.user + client.system) / 1000,
    machine_busy_cores: toCores(machineAfter.busy - machineBefore.busy),
    machine_steal_cores: toCores(machineAfter.steal - machineBefore.steal),
    server_rss_kb: alive(pid) ? rssKb(pid) : null,
    load_average_1min_before: loadBefore,
  };
}
type Run = Awaited<ReturnType<typeof load>>;

function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

function describe(run: Run): string {
  return (
    `${run.server} ${run.path} c=${run.connections}: ${Math.round(run.rps)} req/s, ` +
    `p50 ${run.latency_ms.p50?.toFixed(2)} ms, p99 ${run.latency_ms.p99?.toFixed(2)} ms, ` +
    `server ${run.server_cpu_us_per_request?.toFixed(1)} µs CPU/request, ` +
    `client ${Math.round((100 * run.client_cpu_ms) / (run.duration_s * 1000))}% of a core`
  );
}

function assertClean(run: Run): void {
  if (run.non_2xx || run.errors || run.timeouts) {
    throw new Error(
      `${run.server} ${run.path}: ${run.non_2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts`,
    );
  }
}

const figures = {
  phase: "api",
  config,
  servers: [] as (ServerSpec & { pid: number })[],
  checks: [] as { server: string; path: string; status: number; body_bytes: number }[],
  warmup: [] as Run[],
  runs: [] as (Run & { repetition: number })[],
  breakdown: [] as (Run & { repetition: number })[],
};
const servers = new Map<string, Server>();
const serverNamed = (name: string) => servers.get(name) as Server;
try {
  note(`migrate: ${config.migrate.join(" ")}`);
  await runToEnd(config.migrate);
  for (const spec of config.servers) {
    note(`start ${spec.name}: ${spec.command.join(" ")}`);
    const server = await start(spec);
    servers.set(spec.name, server);
    figures.servers.push({ ...spec, pid: server.child.pid });
  }
  const seeder = (apiServers[0] as ServerSpec).name;
  if (config.seedJobs > 0) {
    note(`seed ${config.seedJobs} jobs through ${seeder}`);
    await seed(serverNamed(seeder), config.seedJobs);
  }

  // Every target must answer 200 before it is timed, and the api a full page.
  const targets = [...config.matrix, ...config.breakdown.targets];
  for (const { server, path } of targets) {
    const { status, body } = await get(serverNamed(server), path);
    if (status !== 200) throw new Error(`${server} ${path} answered ${status}: ${body.slice(0, 300)}`);
    const limit = /limit=(\d+)/.exec(path);
    if (limit && JSON.parse(body).items.length !== Number(limit[1])) {
      throw new Error(`${server} ${path} did not return ${limit[1]} items`);
    }
    figures.checks.push({ server, path, status, body_bytes: Buffer.byteLength(body) });
  }

  // JIT warm-up, discarded.
  if (config.warmupSeconds > 0) {
    for (const { server, path } of targets) {
      const run = await load(serverNamed(server), path, 10, config.warmupSeconds);
      assertClean(run);
      figures.warmup.push(run);
    }
  }

  for (let repetition = 1; repetition <= config.repetitions; repetition++) {
    for (const connections of config.connections) {
      for (const { server, path } of config.matrix) {
        const run = await load(serverNamed(server), path, connections, config.durationSeconds);
        assertClean(run);
        note(`[${repetition}/${config.repetitions}] ${describe(run)}`);
        figures.runs.push({ repetition, ...run });
      }
    }
    const { breakdown } = config;
    for (const { server, path } of breakdown.targets) {
      const run = await load(serverNamed(server), path, breakdown.connections, breakdown.durationSeconds);
      assertClean(run);
      note(`[${repetition}/${config.repetitions}] breakdown: ${describe(run)}`);
      figures.breakdown.push({ repetition, ...run });
    }
  }
} finally {
  for (const server of servers.values()) await stop(server);
}

writeFileSync(outFile, `${JSON.stringify(figures, null, 2)}\n`);
