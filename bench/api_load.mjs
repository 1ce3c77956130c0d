/**
 * The driver of bench/api.sh (Node, Linux: it reads /proc). Starts the servers
 * under test side by side, seeds the jobs table through the api, checks every
 * target answers as it should, then loads each with autocannon on loopback,
 * the servers taking turns run by run so a busy spell on the shared machine
 * does not land on one only. Writes every raw figure to one JSON file.
 *
 *   node bench/api_load.mjs --bun <bun> --entry <main.ts> --hello <hello.ts> [--compiled <exe>]
 *     --data-dir <empty dir> --out <file.json> [--duration 10] [--reps 3] [--connections 10,50]
 *     [--warmup 3] [--seed 1000]
 *
 * Servers: the floor (`bun hello.ts`), the api under Bun and, if given, compiled.
 * Both api servers share one data dir, migrated and seeded once. Per repetition:
 * GET /jobs?limit=20 on each api and GET / on the floor at every connection
 * count, then the breakdown (GET /health and GET /jobs?limit=1 on the shipped
 * api, 10 connections).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const READY_LINE = "convoy:ready";
const READY_TIMEOUT_MS = 30_000;
const CLOCK_TICKS_PER_S = 100; // USER_HZ: what /proc/<pid>/stat counts in on Linux
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
for (const required of ["bun", "entry", "hello", "data-dir", "out"]) {
  if (!args[required]) {
    process.stderr.write(`api_load.mjs: --${required} is required (see the comment at its top)\n`);
    process.exit(2);
  }
}

const durationSeconds = Number(args.duration);
const apiServers = [
  { name: "api-bun", label: "api under Bun", command: [args.bun, args.entry, "api"] },
  ...(args.compiled
    ? [{ name: "api-compiled", label: "api compiled", command: [args.compiled, "api"] }]
    : []),
];
const shipped = apiServers.at(-1).name;
const config = {
  dataDir: args["data-dir"],
  servers: [
    { name: "floor", label: "floor: bare Bun.serve hello-world", command: [args.bun, args.hello] },
    ...apiServers,
  ],
  migrate: [args.bun, args.entry, "migrate"],
  seedJobs: Number(args.seed),
  warmupSeconds: Number(args.warmup),
  durationSeconds,
  repetitions: Number(args.reps),
  connections: args.connections.split(",").map(Number),
  matrix: [
    { server: "floor", path: "/" },
    ...apiServers.map(({ name }) => ({ server: name, path: JOBS_PAGE })),
  ],
  breakdown: {
    connections: 10,
    durationSeconds,
    targets: [
      { server: shipped, path: "/health" },
      { server: shipped, path: "/jobs?limit=1" },
    ],
  },
};
const token = randomBytes(32).toString("hex");

/** A free loopback port, found by binding port 0 and letting go of it. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
  });
}

function serverEnv(port) {
  return {
    ...process.env,
    CONVOY_DATA_DIR: config.dataDir,
    CONVOY_API_PORT: String(port),
    CONVOY_API_TOKEN: token,
    CONVOY_STDIN_WATCHDOG: "0",
  };
}

/** Runs a one-shot command (the migrate role) to completion; throws on failure. */
function runToEnd(command) {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      env: serverEnv(0),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command.join(" ")} exited ${code}: ${output}`)),
    );
  });
}

/** Starts a server and resolves once it prints the ready line; keeps its output drained. */
async function start(name, command) {
  const port = await freePort();
  const child = spawn(command[0], command.slice(1), {
    env: serverEnv(port),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keepTail = (chunk) => {
    tail = (tail + chunk).slice(-4000);
  };
  child.stderr.on("data", keepTail);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: no ready line in ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      keepTail(chunk);
      stdout += chunk;
      if (stdout.split("\n").some((line) => line.startsWith(READY_LINE))) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${code} before it was ready:\n${tail}`));
    });
  });
  return { name, command, port, child, tail: () => tail };
}

async function stop(server) {
  if (server.child.exitCode !== null) return server.child.exitCode;
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  const kill = setTimeout(() => server.child.kill("SIGKILL"), 10_000);
  const code = await exited;
  clearTimeout(kill);
  return code;
}

/** utime + stime of a process, all threads, in ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces; the fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

function rssKb(pid) {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) : null;
}

/**
 * Busy, stolen and total jiffies of the whole machine, all cores (first line of
 * /proc/stat). Steal is time the hypervisor gave this VM's CPUs to someone else.
 */
function machineJiffies() {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = cpu[3] + cpu[4]; // idle + iowait
  return { busy: total - idle - cpu[7], steal: cpu[7], total };
}

function headersFor(path) {
  return path === "/" || path === "/health" ? {} : { authorization: `Bearer ${token}` };
}

async function get(server, path) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: headersFor(path) });
  return { status: response.status, body: await response.text() };
}

/** Creates `count` jobs through the api, 10 requests in flight. */
async function seed(server, count) {
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

/** The nearest-rank percentile of sorted latencies. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * One autocannon run against one server. Latencies are kept here at full
 * precision (autocannon's own histogram counts whole milliseconds).
 */
async function load(server, path, connections, durationSeconds) {
  let latencies = new Float64Array(1 << 18);
  let count = 0;
  const cpuBefore = cpuMs(server.child.pid);
  const clientBefore = process.cpuUsage();
  const machineBefore = machineJiffies();
  const loadBefore = readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${server.port}${path}`,
        connections,
        duration: durationSeconds,
        headers: headersFor(path),
      },
      (error, outcome) => (error ? reject(error) : resolve(outcome)),
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 200 || statusCode > 299) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
  });
  const client = process.cpuUsage(clientBefore);
  const machineAfter = machineJiffies();
  const serverCpuMs = cpuMs(server.child.pid) - cpuBefore;
  const sorted = latencies.subarray(0, count).sort();
  const seconds = result.duration;
  const requests = result["2xx"];
  const machineBusy = machineAfter.busy - machineBefore.busy;
  const machineTotal = machineAfter.total - machineBefore.total;
  const toCores = (jiffies) => (machineTotal > 0 ? (jiffies / machineTotal) * availableParallelism() : null);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    server: server.name,
    path,
    connections,
    duration_s: seconds,
    requests_2xx: requests,
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    rps: requests / seconds,
    latency_ms: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      mean: count ? sum / count : null,
      max: count ? sorted[count - 1] : null,
    },
    bytes_per_response: requests ? result.throughput.total / requests : null,
    server_cpu_ms: serverCpuMs,
    server_cpu_us_per_request: requests ? (serverCpuMs * 1000) / requests : null,
    client_cpu_ms: (client.user + client.system) / 1000,
    machine_busy_cores: toCores(machineBusy),
    machine_steal_cores: toCores(machineAfter.steal - machineBefore.steal),
    server_rss_kb: rssKb(server.child.pid),
    load_average_1min_before: Number(loadBefore),
  };
}

function note(text) {
  process.stderr.write(`${text}\n`);
}

function describe(run) {
  return (
    `${run.server} ${run.path} c=${run.connections}: ${Math.round(run.rps)} req/s, ` +
    `p50 ${run.latency_ms.p50?.toFixed(2)} ms, p99 ${run.latency_ms.p99?.toFixed(2)} ms, ` +
    `server ${run.server_cpu_us_per_request?.toFixed(1)} µs CPU/request, ` +
    `client ${Math.round((100 * run.client_cpu_ms) / (run.duration_s * 1000))}% of a core`
  );
}

function assertClean(run) {
  if (run.non_2xx || run.errors || run.timeouts) {
    throw new Error(
      `${run.server} ${run.path}: ${run.non_2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts`,
    );
  }
}

async function main() {
  const figures = {
    phase: "api",
    config,
    servers: [],
    checks: [],
    warmup: [],
    runs: [],
    breakdown: [],
  };
  const servers = new Map();
  try {
    note(`migrate: ${config.migrate.join(" ")}`);
    await runToEnd(config.migrate);
    for (const spec of config.servers) {
      note(`start ${spec.name}: ${spec.command.join(" ")}`);
      const server = await start(spec.name, spec.command);
      servers.set(spec.name, server);
      figures.servers.push({
        name: spec.name,
        label: spec.label,
        command: spec.command,
        pid: server.child.pid,
      });
    }
    if (config.seedJobs > 0) {
      note(`seed ${config.seedJobs} jobs through ${apiServers[0].name}`);
      await seed(servers.get(apiServers[0].name), config.seedJobs);
    }

    // Every target must answer 200 before it is timed, and the api a full page.
    const targets = [...config.matrix, ...config.breakdown.targets];
    for (const { server, path } of targets) {
      const { status, body } = await get(servers.get(server), path);
      if (status !== 200) throw new Error(`${server} ${path} answered ${status}: ${body.slice(0, 300)}`);
      const limit = /limit=(\d+)/.exec(path);
      if (limit && JSON.parse(body).items.length !== Number(limit[1])) {
        throw new Error(`${server} ${path} did not return ${limit[1]} items`);
      }
      figures.checks.push({ server, path, status, body_bytes: Buffer.byteLength(body) });
    }

    // JIT warm-up, discarded.
    for (const { server, path } of targets) {
      if (config.warmupSeconds <= 0) break;
      const run = await load(servers.get(server), path, 10, config.warmupSeconds);
      assertClean(run);
      figures.warmup.push(run);
    }

    for (let repetition = 1; repetition <= config.repetitions; repetition++) {
      for (const connections of config.connections) {
        for (const { server, path } of config.matrix) {
          const run = await load(servers.get(server), path, connections, config.durationSeconds);
          assertClean(run);
          note(`[${repetition}/${config.repetitions}] ${describe(run)}`);
          figures.runs.push({ repetition, ...run });
        }
      }
      const { breakdown } = config;
      for (const { server, path } of breakdown.targets) {
        const run = await load(servers.get(server), path, breakdown.connections, breakdown.durationSeconds);
        assertClean(run);
        note(`[${repetition}/${config.repetitions}] breakdown: ${describe(run)}`);
        figures.breakdown.push({ repetition, ...run });
      }
    }
  } finally {
    for (const server of servers.values()) await stop(server);
  }

  writeFileSync(args.out, `${JSON.stringify(figures, null, 2)}\n`);
}

await main();
