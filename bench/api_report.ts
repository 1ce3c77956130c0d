/**
 * Turns the raw figures bench/api.sh collected (load.json from api_load.ts,
 * parts.json from api_parts.ts) into api.json (raw figures + machine info) and
 * api.md (tables, aims, where the time goes).
 *
 *   bun bench/api_report.ts --work <dir> --json <file> --md <file> --bun <bun>
 *     --autocannon <its package.json> [--compiled <exe>] [--smoke]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { firstLine, type Machine, machineInfo } from "./lib/machine.ts";
import { recordedLine, reportArgs, writeReport } from "./lib/report.ts";
import { median, type Stats, stats } from "./lib/stats.ts";
import { type Cell, fmt, STATS_HEAD, statsRow, statsTable, table } from "./lib/table.ts";

// The issue names no number for these; they are this benchmark's, chosen so a
// desktop UI never waits on its own api: a page of jobs costs well under a
// frame (16 ms at 60 Hz) even with many requests in flight.
const AIM_RPS = 10_000;
const AIM_P99_MS = 10;
const JOBS_PAGE = "/jobs?limit=20";

interface Run {
  repetition?: number;
  server: string;
  path: string;
  connections: number;
  duration_s: number;
  rps: number;
  latency_ms: {
    p50: number | null;
    p90: number | null;
    p99: number | null;
    mean: number | null;
    max: number | null;
  };
  server_cpu_ms: number;
  server_cpu_us_per_request: number | null;
  client_cpu_ms: number;
  machine_busy_cores: number | null;
  machine_steal_cores: number | null;
}
interface Load {
  config: {
    seedJobs: number;
    warmupSeconds: number;
    durationSeconds: number;
    repetitions: number;
    connections: number[];
    breakdown: { connections: number; targets: { server: string; path: string }[] };
  };
  servers: { name: string; label: string }[];
  checks: { server: string; path: string; body_bytes: number }[];
  runs: Run[];
  breakdown: Run[];
}
interface Parts {
  parts: { name: string; what: string; us_per_call: number[] }[];
}
interface ByConnections {
  path: string;
  rps: Stats | null;
  latency_p50_ms: Stats | null;
  latency_p99_ms: Stats | null;
  server_cpu_us_per_request: Stats | null;
  rps_ratio_to_floor?: number | null;
  cpu_per_request_ratio_to_floor?: number | null;
}
type Summary = ReturnType<typeof summarize>;

const args = reportArgs("api_report.ts", {
  extra: {
    bun: { type: "string" },
    compiled: { type: "string" },
    autocannon: { type: "string" },
    smoke: { type: "boolean", default: false },
  },
});

function runsOf(
  load: Load,
  server: string,
  connections: number,
  path?: string,
  key: "runs" | "breakdown" = "runs",
) {
  return load[key].filter(
    (r) => r.server === server && r.connections === connections && (path === undefined || r.path === path),
  );
}

const corePct = (run: Run, field: "server_cpu_ms" | "client_cpu_ms") =>
  (100 * run[field]) / (run.duration_s * 1000);

/** CPU the rest of the machine used meanwhile: busy cores minus server and load generator. */
function othersCores(run: Run): number | null {
  if (run.machine_busy_cores === null) return null;
  return Math.max(
    0,
    run.machine_busy_cores - (run.server_cpu_ms + run.client_cpu_ms) / (run.duration_s * 1000),
  );
}

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a !== null && a !== undefined && b ? a / b : null;

function summarize(load: Load, parts: Parts | null) {
  const servers: Record<string, { label: string; by_connections: Record<string, ByConnections> }> = {};
  for (const { name, label } of load.servers) {
    const byConnections: Record<string, ByConnections> = {};
    for (const c of load.config.connections) {
      const runs = runsOf(load, name, c);
      const first = runs[0];
      if (first === undefined) continue;
      byConnections[String(c)] = {
        path: first.path,
        rps: stats(runs.map((r) => r.rps)),
        latency_p50_ms: stats(runs.map((r) => r.latency_ms.p50)),
        latency_p99_ms: stats(runs.map((r) => r.latency_ms.p99)),
        server_cpu_us_per_request: stats(runs.map((r) => r.server_cpu_us_per_request)),
      };
    }
    servers[name] = { label, by_connections: byConnections };
  }
  for (const c of load.config.connections) {
    const floorRuns = runsOf(load, "floor", c);
    const floor = median(floorRuns.map((r) => r.rps));
    const floorCpu = median(floorRuns.map((r) => r.server_cpu_us_per_request));
    for (const { name } of load.servers) {
      const entry = servers[name]?.by_connections[String(c)];
      if (name === "floor" || entry === undefined) continue;
      entry.rps_ratio_to_floor = ratio(entry.rps?.median, floor);
      entry.cpu_per_request_ratio_to_floor = ratio(entry.server_cpu_us_per_request?.median, floorCpu);
    }
  }
  const partsUs: Record<string, Stats | null> = {};
  for (const part of parts?.parts ?? []) partsUs[part.name] = stats(part.us_per_call);
  return { servers, parts_us: partsUs };
}

const list = (values: number[] | null) => (values === null ? "None" : `[${values.join(", ")}]`);
const yes = (met: boolean) => (met ? "yes" : "**no**");

function aims(load: Load, summary: Summary, labels: Record<string, string>, apis: string[]): string {
  const cMax = String(Math.max(...load.config.connections));
  const rows: Cell[][] = [];
  for (const server of apis) {
    const perC = summary.servers[server]?.by_connections ?? {};
    const rps = perC["10"]?.rps;
    if (rps) {
      rows.push([
        `\`GET ${JOBS_PAGE}\`, 10 connections: ≥ ${fmt(AIM_RPS, 0)} requests/s`,
        labels[server],
        fmt(rps.median, 0),
        fmt(rps.p90, 0),
        fmt(perC["10"]?.rps_ratio_to_floor),
        yes(rps.median >= AIM_RPS),
      ]);
    }
    const p99 = perC[cMax]?.latency_p99_ms;
    if (p99) {
      rows.push([
        `\`GET ${JOBS_PAGE}\`, ${cMax} connections: p99 latency < ${AIM_P99_MS} ms`,
        labels[server],
        fmt(p99.median),
        fmt(p99.p90),
        "–",
        yes(p99.median < AIM_P99_MS),
      ]);
    }
  }
  return table(["aim", "server", "median", "p90", "× floor (median)", "met (median)"], rows, [
    "l",
    "l",
    "r",
    "r",
    "r",
    "l",
  ]);
}

function connectionsTable(load: Load, summary: Summary, labels: Record<string, string>, c: number): string {
  const rows: string[][] = [];
  const sub = (label: string, s: Stats | null) => statsRow(`&nbsp;&nbsp;${label}`, s);
  for (const server of Object.keys(labels)) {
    const runs = runsOf(load, server, c);
    if (runs.length === 0) continue;
    rows.push(
      statsRow(
        `**${labels[server]}: \`GET ${runs[0]?.path}\`, requests/s**`,
        stats(runs.map((r) => r.rps)),
        (x) => fmt(x, 0),
      ),
      sub("latency p50, ms", stats(runs.map((r) => r.latency_ms.p50))),
      sub("latency p99, ms", stats(runs.map((r) => r.latency_ms.p99))),
      sub("server CPU per request, µs", stats(runs.map((r) => r.server_cpu_us_per_request))),
      statsRow(
        "&nbsp;&nbsp;server CPU, % of one core",
        stats(runs.map((r) => corePct(r, "server_cpu_ms"))),
        (x) => fmt(x, 0),
      ),
      statsRow(
        "&nbsp;&nbsp;load generator CPU, % of one core",
        stats(runs.map((r) => corePct(r, "client_cpu_ms"))),
        (x) => fmt(x, 0),
      ),
      sub("everything else on the machine, cores", stats(runs.map(othersCores))),
      sub("stolen by the hypervisor, cores", stats(runs.map((r) => r.machine_steal_cores))),
    );
  }
  for (const server of Object.keys(labels).filter((s) => s !== "floor")) {
    const entry = summary.servers[server]?.by_connections[String(c)];
    if (entry === undefined) continue;
    rows.push(
      [`${labels[server]} ÷ floor: requests/s`, "", fmt(entry.rps_ratio_to_floor), "", "", ""],
      [
        `${labels[server]} ÷ floor: server CPU per request`,
        "",
        fmt(entry.cpu_per_request_ratio_to_floor),
        "",
        "",
        "",
      ],
    );
  }
  return table(STATS_HEAD, rows);
}

function breakdownTable(load: Load, labels: Record<string, string>, body: Record<string, number>): string {
  const bc = load.config.breakdown.connections;
  const shipped = load.config.breakdown.targets[0]?.server ?? "";
  const rows: [string, string, Run[]][] = [
    ["floor", "/", runsOf(load, "floor", bc)],
    ...load.config.breakdown.targets.map((t): [string, string, Run[]] => [
      shipped,
      t.path,
      runsOf(load, shipped, bc, t.path, "breakdown"),
    ]),
    [shipped, JOBS_PAGE, runsOf(load, shipped, bc, JOBS_PAGE)],
  ];
  return table(
    ["request", "n", "requests/s", "latency p50, ms", "server CPU per request, µs", "response body, bytes"],
    rows.map(([server, path, runs]) => [
      `${labels[server]}: \`GET ${path}\``,
      String(runs.length),
      fmt(median(runs.map((r) => r.rps)), 0),
      fmt(median(runs.map((r) => r.latency_ms.p50))),
      fmt(median(runs.map((r) => r.server_cpu_us_per_request))),
      fmt(body[server + path], 0),
    ]),
  );
}

/** The figures the reading cites, each computed once: per api server, the split inside the api, the machine. */
function derived(
  load: Load,
  summary: Summary,
  labels: Record<string, string>,
  apis: string[],
  cores: number,
) {
  const c = Math.min(...load.config.connections);
  const cMax = Math.max(...load.config.connections);
  const floorRuns = runsOf(load, "floor", c);
  const floor = {
    rps: median(floorRuns.map((r) => r.rps)),
    cpu: median(floorRuns.map((r) => r.server_cpu_us_per_request)),
    serverPct: median(floorRuns.map((r) => corePct(r, "server_cpu_ms"))),
    clientPct: median(floorRuns.map((r) => corePct(r, "client_cpu_ms"))),
  };
  const perServer = apis.map((server) => {
    const runs = runsOf(load, server, c);
    const atMax = runsOf(load, server, cMax);
    const rps = median(runs.map((r) => r.rps));
    const cpu = median(runs.map((r) => r.server_cpu_us_per_request));
    const rpsMax = median(atMax.map((r) => r.rps));
    return {
      server,
      label: labels[server] ?? server,
      rps,
      rpsRatio: ratio(rps, floor.rps),
      cpu,
      cpuRatio: ratio(cpu, floor.cpu),
      serverPct: median(runs.map((r) => corePct(r, "server_cpu_ms"))),
      clientPct: median(runs.map((r) => corePct(r, "client_cpu_ms"))),
      others: median(runs.map(othersCores)),
      oneCoreRps: ratio(1e6, cpu),
      rpsMax,
      rpsMaxRatio: ratio(rpsMax, rps),
      p50Max: median(atMax.map((r) => r.latency_ms.p50)),
      queueMs: ratio(1000 * cMax, rpsMax),
      cpuAllRuns: median(
        load.runs.filter((r) => r.server === server).map((r) => r.server_cpu_us_per_request),
      ),
    };
  });
  // The fastest batch: on a shared machine, noise only ever adds time to a tight loop.
  const part = (name: string) => summary.parts_us[name]?.min ?? null;
  const whole = part("app_jobs_20");
  const withoutDb = part("app_jobs_20_without_sqlite");
  const sqlite = part("sqlite");
  const sqlite2 = part("sqlite_2_rows");
  const mapping = sub(part("store_page"), sqlite);
  const inSitu = sub(whole, withoutDb);
  const shipped = perServer.at(-1);
  const inside = {
    whole,
    withoutDb,
    inSitu,
    inSituPct: ratio(100 * (inSitu ?? Number.NaN), whole),
    sqlite,
    mapping,
    extra: sub(inSitu, (sqlite ?? Number.NaN) + (mapping ?? Number.NaN)),
    sqlite2,
    perRow: ratio(sub(sqlite, sqlite2), 19),
    pragma: part("sqlite_pragma"),
    token: part("token_check"),
    json: part("json"),
    health: part("app_health"),
    wire: shipped?.cpu ?? null,
    wireMinusInProcess: sub(shipped?.cpu ?? null, whole),
  };
  const others = median(load.runs.map(othersCores));
  return { c, cMax, cores, floor, floorOneCoreRps: ratio(1e6, floor.cpu), perServer, inside, others };
}

function sub(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a - b)
    ? null
    : a - b;
}

function whereTables(d: ReturnType<typeof derived>): string {
  const atC = table(
    [
      `at ${d.c} connections`,
      "requests/s",
      "÷ floor",
      "server CPU per request, µs",
      "÷ floor",
      "server, % of a core",
      "load generator, % of a core",
      "the rest of the machine, cores",
      "1 / CPU per request, requests/s",
    ],
    [
      [
        "floor",
        fmt(d.floor.rps, 0),
        "–",
        fmt(d.floor.cpu),
        "–",
        fmt(d.floor.serverPct, 0),
        fmt(d.floor.clientPct, 0),
        "–",
        fmt(d.floorOneCoreRps, 0),
      ],
      ...d.perServer.map((s) => [
        s.label,
        fmt(s.rps, 0),
        fmt(s.rpsRatio),
        fmt(s.cpu),
        fmt(s.cpuRatio),
        fmt(s.serverPct, 0),
        fmt(s.clientPct, 0),
        fmt(s.others),
        fmt(s.oneCoreRps, 0),
      ]),
    ],
  );
  const atMax = table(
    [
      `at ${d.cMax} connections`,
      "requests/s",
      `÷ at ${d.c}`,
      `${d.cMax} in flight ÷ requests/s, ms`,
      "latency p50, ms",
      "server CPU per request over every run, µs",
    ],
    d.perServer.map((s) => [
      s.label,
      fmt(s.rpsMax, 0),
      fmt(s.rpsMaxRatio),
      fmt(s.queueMs),
      fmt(s.p50Max),
      fmt(s.cpuAllRuns),
    ]),
  );
  const i = d.inside;
  const inside = table(
    ["inside the api (fastest batch), µs", "value"],
    [
      [`\`app.fetch\` GET ${JOBS_PAGE}, in-process`, i.whole],
      ["the same page answered from memory: everything but the database", i.withoutDb],
      ["so the database, in the request", i.inSitu],
      ["&nbsp;&nbsp;as % of the request", i.inSituPct],
      ["&nbsp;&nbsp;the query alone (21 rows)", i.sqlite],
      ["&nbsp;&nbsp;turning rows into jobs", i.mapping],
      ["&nbsp;&nbsp;more in the request than the two in loops of their own", i.extra],
      ["the query for 2 rows", i.sqlite2],
      ["each further row", i.perRow],
      ["`PRAGMA user_version`", i.pragma],
      ["the guard's token check", i.token],
      ["`JSON.stringify` of the page", i.json],
      ["`app.fetch` GET /health", i.health],
      ["over the wire: the shipped server's CPU per request", i.wire],
      ["&nbsp;&nbsp;less the in-process request: `Bun.serve` and the socket", i.wireMinusInProcess],
    ],
  );
  return `${atC}\n\n${atMax}\n\n${inside}`;
}

/** One fixed paragraph; the figures come from `derived`, the verdicts are in the aims table. */
function reading(d: ReturnType<typeof derived>): string {
  const i = d.inside;
  const [bun, compiled] = [d.perServer[0], d.perServer.at(-1)];
  const list = d.perServer
    .map(
      (s) =>
        `${s.label} ${fmt(s.rps, 0)} requests/s at ${fmt(s.cpu)} µs of CPU each (${fmt(s.cpuRatio)}× the floor)`,
    )
    .join("; ");
  return (
    `At ${d.c} connections: ${list}; the floor ${fmt(d.floor.rps, 0)} requests/s at ${fmt(d.floor.cpu)} µs. ` +
    `The api's single JavaScript thread is its limit where its process runs near 100% of a core (the tables ` +
    `above), and then requests/s ≈ 1 / CPU per request. On ${fmt(d.cores, 0)} cores the load generator shares ` +
    `the machine with the server (against the floor it used ${fmt(d.floor.clientPct, 0)}% of a core, the floor ` +
    `${fmt(d.floor.serverPct, 0)}%): where it runs near 100%, the floor's requests/s is the load generator's ` +
    `ceiling rather than Bun's (a core of its own would give the floor about ${fmt(d.floorOneCoreRps, 0)}), so ` +
    `the CPU-per-request ratio is the fair one. ` +
    `Inside the api (in-process, the fastest batch of each part, as noise only adds), \`GET ${JOBS_PAGE}\` takes ` +
    `${fmt(i.whole)} µs; from memory instead of SQLite ${fmt(i.withoutDb)} µs, so the database costs ` +
    `${fmt(i.inSitu)} µs (${fmt(i.inSituPct, 0)}%): the query alone ${fmt(i.sqlite)} µs, turning rows into jobs ` +
    `${fmt(i.mapping)} µs, and ${fmt(i.extra)} µs more in the request than in loops of their own (the rows' ` +
    `allocations feeding the garbage collector, and colder caches; not split further). The query's cost is ` +
    `mostly fixed: ${fmt(i.sqlite2)} µs for 2 rows, ${fmt(i.sqlite)} µs for 21 (about ${fmt(i.perRow)} µs per ` +
    `further row), against ${fmt(i.pragma)} µs for \`PRAGMA user_version\`. The other ${fmt(i.withoutDb)} µs are ` +
    `the framework: Hono's routing and context, the guard (its token check ${fmt(i.token)} µs), zod's query ` +
    `validation, the cursor and the JSON response (${fmt(i.json)} µs of \`JSON.stringify\`); \`GET /health\` ` +
    `through the same stack takes ${fmt(i.health)} µs. Over the wire the shipped server spends ${fmt(i.wire)} µs ` +
    `of CPU per request against ${fmt(i.whole)} µs in-process: the ${fmt(i.wireMinusInProcess)} µs between are ` +
    `\`Bun.serve\`'s HTTP parsing and the socket system calls, about all the floor does ` +
    `(${fmt(d.floor.cpu)} µs). At ${d.cMax} connections the thread is already busy, so the extra connections ` +
    `queue: ${compiled?.label} answers ${fmt(compiled?.rpsMax, 0)} requests/s (${fmt(compiled?.rpsMaxRatio)}× ` +
    `the figure at ${d.c}) and ${d.cMax} in flight ÷ that rate is ${fmt(compiled?.queueMs)} ms, against a ` +
    `measured p50 of ${fmt(compiled?.p50Max)} ms. ${bun?.label} and ${compiled?.label} spend ` +
    `${fmt(bun?.cpuAllRuns)} and ${fmt(compiled?.cpuAllRuns)} µs of CPU per request (median over every run): ` +
    `the same code on the same JIT, so their difference here is run-to-run noise; compiling changes start-up ` +
    `(see \`coldstart.md\`), not the steady state. The rest of the machine used ${fmt(d.others)} cores ` +
    `(median over the runs) while these ran, and what it used adds to the spread between runs.`
  );
}

function render(data: {
  machine: Machine;
  smoke: boolean;
  load: Load;
  parts: Parts | null;
  summary: Summary;
}) {
  const { machine: m, load, summary } = data;
  const cfg = load.config;
  const labels = Object.fromEntries(load.servers.map((s) => [s.name, s.label]));
  const apis = load.servers.map((s) => s.name).filter((s) => s !== "floor");
  const body = Object.fromEntries(load.checks.map((c) => [c.server + c.path, c.body_bytes]));
  const d = derived(load, summary, labels, apis, m.cores);
  const out = [
    "# api benchmark: requests per second of a SQLite-backed read",
    "",
    ...(data.smoke
      ? ["**Smoke run** (one short run of each): checks the benchmark works; the figures mean nothing.", ""]
      : []),
    recordedLine(m, "bash bench/api.sh"),
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, Linux ${m.kernel}, load average (1, 5, 15 min) ` +
      `before ${list(m.load_average_before)}, after ${list(m.load_average_after)}. Bun ${m.bun}; autocannon ${m.autocannon} ` +
      `on ${m.load_generator_runtime}.`,
    "",
    `autocannon (in one Bun process) loads each server on loopback for ${cfg.durationSeconds} s per run, ` +
      `${cfg.repetitions} runs per row, after a ${cfg.warmupSeconds} s warm-up; the servers run side by side ` +
      "and take turns run by run, so a busy spell on the shared machine does not land on one only. " +
      `The api serves \`GET ${JOBS_PAGE}\` with its bearer token: a page of 20 of the ${cfg.seedJobs} jobs ` +
      `seeded through \`POST /jobs\`, newest first, read from SQLite (${fmt(body[`${apis[0]}${JOBS_PAGE}`], 0)} ` +
      "bytes of JSON). The floor is a bare `Bun.serve` hello-world (`bench/baselines/hello.ts`, " +
      `${fmt(body["floor/"], 0)} bytes). Both api servers read one database. ` +
      "Latencies are per request as autocannon saw them; server CPU is the server process's user + system " +
      "time (all threads, `/proc`) divided by the requests it answered.",
    "",
    "## Aims",
    "",
    aims(load, summary, labels, apis),
    "",
    ...cfg.connections.flatMap((c) => [
      `## ${c} connections`,
      "",
      connectionsTable(load, summary, labels, c),
      "",
    ]),
    ...(load.breakdown.length > 0
      ? [
          `## Breakdown by request (${labels[cfg.breakdown.targets[0]?.server ?? ""]}, ${cfg.breakdown.connections} connections)`,
          "",
          "From least to most work: the floor; `GET /health` (guard without token, router, one PRAGMA); " +
            "`GET /jobs?limit=1` (token, query validation, a 2-row query); the page of 20. Medians of the runs.",
          "",
          breakdownTable(load, labels, body),
          "",
        ]
      : []),
    ...(data.parts
      ? [
          "## In-process parts (no network)",
          "",
          "`bench/api_parts.ts` times each part in a loop on one thread, on the same seeded database: " +
            "µs per call, each batch about 200 ms.",
          "",
          statsTable(data.parts.parts.map((p) => [p.what, stats(p.us_per_call)])),
          "",
        ]
      : []),
    "## Where the time goes",
    "",
    whereTables(d),
    "",
    reading(d),
    "",
  ];
  return out.join("\n");
}

const load = JSON.parse(readFileSync(join(args.work, "load.json"), "utf8")) as Load & {
  config: { loadGenerator?: { runtime: string; version: string } };
};
let parts: Parts | null = null;
try {
  parts = JSON.parse(readFileSync(join(args.work, "parts.json"), "utf8")) as Parts;
} catch {
  parts = null;
}
const values = args.values as { bun?: string; compiled?: string; autocannon?: string; smoke?: boolean };
const generator = load.config.loadGenerator;
const versions = {
  bun: firstLine(values.bun ?? "bun", "--version"),
  autocannon: JSON.parse(readFileSync(values.autocannon ?? "", "utf8")).version as string,
  load_generator_runtime: generator ? `${generator.runtime} ${generator.version}` : null,
  compiled_sidecar: values.compiled ?? null,
};
const machine = machineInfo(args.work, versions);
const summary = summarize(load, parts);
const data = { machine, smoke: Boolean(values.smoke), load, parts, summary };
writeReport(args, data, render(data));
