// The hand-written RESP client (`packages/sidecar-runtime/src/valkey.ts`)
// against ioredis on the same work, on one redis-server/valkey-server over a
// Unix socket with a password, as the shell runs it: XADD of job output lines
// and XREAD of them back, the memory of the process after that work, and the
// reconnection after a SIGKILL of the server. Each work run is a child process
// of its own (so its memory is that client's), the clients taking turns; every
// figure is also a ratio of the two clients within one run, as the machine is
// shared.
//
//   bun bench/redis_client.ts [--smoke] [--lines N] [--runs N]
//
// Records bench/results/redis_client.{json,md} (with --smoke: bench/results/tmp/).
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { connectValkey, LineLogger, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import Redis from "ioredis";
import { saveLoadAverage } from "./lib/load.ts";
import { firstLine, type Machine, machineInfo } from "./lib/machine.ts";
import { writeReport } from "./lib/report.ts";
import { median, type Stats, stats } from "./lib/stats.ts";
import { fmt, STATS_HEAD, statsRow, table } from "./lib/table.ts";

const CLIENTS = ["hand-written", "ioredis"] as const;
type ClientName = (typeof CLIENTS)[number];

type Backoff = { initialMs: number; maxMs: number };
/** The hand-written client's backoff, given to ioredis too, so both retry on the same schedule. */
const BACKOFF: Backoff = { initialMs: 50, maxMs: 1000 };
/** A retry every few ms, so a reconnection is timed by the client's own work, not by where the backoff stood. */
const EAGER: Backoff = { initialMs: 5, maxMs: 5 };
/** Commands in flight at once when pipelining. */
const WINDOW = 1000;
/** The api's output copier reads 100 entries per XREAD. */
const COPIER_BATCH = 100;
const BULK_BATCH = 10_000;
/** How long the server stays down before it is restarted. */
const DOWN_MS = 300;
const LINE_BYTES = 120;

/** The measurements of one work run, in milliseconds and MiB. */
const WORK_KEYS = [
  "xadd_pipelined_ms",
  "xadd_sequential_ms",
  "xread_batch_100_ms",
  "xread_batch_10000_ms",
  "rss_connected_mib",
  "rss_after_mib",
  "heap_after_mib",
  "peak_rss_mib",
] as const;
type WorkKey = (typeof WORK_KEYS)[number];
type Work = Record<WorkKey, number>;

/** The commands each measurement needs, as each client sends them naturally. */
interface Driver {
  ready(): Promise<void>;
  xaddPipelined(key: string, lines: readonly string[]): Promise<void>;
  xaddSequential(key: string, lines: readonly string[]): Promise<void>;
  /** Reads the whole stream back, `count` entries per XREAD; returns how many it read. */
  readAll(key: string, count: number): Promise<number>;
  ping(): Promise<unknown>;
  up(): boolean;
  close(): void;
}

function handWritten(socket: string, password: string, backoff: Backoff): Driver {
  const valkey: ValkeyConnection = connectValkey({
    socket,
    password,
    name: "bench",
    logger: new LineLogger(() => {}),
    reconnect: backoff,
  });
  return {
    ready: () => valkey.untilUp(),
    async xaddPipelined(key, lines) {
      for (let i = 0; i < lines.length; i += WINDOW) {
        await Promise.all(
          lines.slice(i, i + WINDOW).map((line) => valkey.command(["XADD", key, "*", "o", line])),
        );
      }
    },
    async xaddSequential(key, lines) {
      for (const line of lines) await valkey.command(["XADD", key, "*", "o", line]);
    },
    async readAll(key, count) {
      let cursor = "0";
      let read = 0;
      for (;;) {
        const reply = await valkey.command(["XREAD", "COUNT", String(count), "STREAMS", key, cursor]);
        const entries = (reply as [string, [string, string[]][]][] | null)?.[0]?.[1] ?? [];
        if (entries.length === 0) return read;
        read += entries.length;
        cursor = (entries.at(-1) as [string, string[]])[0];
      }
    },
    ping: () => valkey.command(["PING"]),
    up: () => valkey.status() === "up",
    close: () => valkey.close(),
  };
}

function ioredis(socket: string, password: string, backoff: Backoff): Driver {
  // As the sidecar would need it (see test/redis-client-spike.test.ts): RESP2,
  // no offline queue, nothing replayed, retrying forever.
  const client = new Redis({
    path: socket,
    password,
    protocol: 2,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: 2000,
    disableClientInfo: true,
    retryStrategy: (times) => Math.min(backoff.initialMs * 2 ** (times - 1), backoff.maxMs),
  });
  client.on("error", () => {});
  return {
    ready: () =>
      client.status === "ready"
        ? Promise.resolve()
        : new Promise((resolve) => client.once("ready", () => resolve())),
    async xaddPipelined(key, lines) {
      for (let i = 0; i < lines.length; i += WINDOW) {
        const pipeline = client.pipeline();
        for (const line of lines.slice(i, i + WINDOW)) pipeline.xadd(key, "*", "o", line);
        const results = await pipeline.exec();
        const failed = results?.find(([error]) => error !== null);
        if (failed) throw failed[0];
      }
    },
    async xaddSequential(key, lines) {
      for (const line of lines) await client.xadd(key, "*", "o", line);
    },
    async readAll(key, count) {
      let cursor = "0";
      let read = 0;
      for (;;) {
        const reply = await client.xread("COUNT", count, "STREAMS", key, cursor);
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) return read;
        read += entries.length;
        cursor = (entries.at(-1) as [string, string[]])[0];
      }
    },
    ping: () => client.ping(),
    up: () => client.status === "ready",
    close: () => client.disconnect(),
  };
}

const DRIVERS: Record<ClientName, (socket: string, password: string, backoff: Backoff) => Driver> = {
  "hand-written": handWritten,
  ioredis,
};

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** VmHWM: the most memory this process has held, in MiB. */
function peakRssMib(): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  return kb === undefined ? Number.NaN : Math.round((Number(kb) / 1024) * 10) / 10;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const startedAt = performance.now();
  await work();
  return Math.round((performance.now() - startedAt) * 10) / 10;
}

/** One work run in this process (a child): prints its figures as one JSON line. */
async function childRun(name: ClientName, socket: string, password: string, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `line ${i} `.padEnd(LINE_BYTES, "x"));
  const driver = DRIVERS[name](socket, password, BACKOFF);
  await driver.ready();
  Bun.gc(true);
  const rssConnected = mib(process.memoryUsage().rss);
  const pipelined = `bench:pipelined:${process.pid}`;
  const sequential = `bench:sequential:${process.pid}`;
  const work: Partial<Work> = { rss_connected_mib: rssConnected };
  work.xadd_pipelined_ms = await timed(() => driver.xaddPipelined(pipelined, lines));
  work.xadd_sequential_ms = await timed(() => driver.xaddSequential(sequential, lines));
  for (const [key, batch] of [
    ["xread_batch_100_ms", COPIER_BATCH],
    ["xread_batch_10000_ms", BULK_BATCH],
  ] as const) {
    let read = 0;
    work[key] = await timed(async () => {
      read = await driver.readAll(pipelined, batch);
    });
    if (read !== count) throw new Error(`${name} read ${read} entries back, not ${count}`);
  }
  work.rss_after_mib = mib(process.memoryUsage().rss);
  Bun.gc(true);
  work.heap_after_mib = mib(process.memoryUsage().heapUsed);
  work.peak_rss_mib = peakRssMib();
  driver.close();
  process.stdout.write(`${JSON.stringify(work)}\n`);
}

async function spawnRun(name: ClientName, server: RedisServer, count: number): Promise<Work> {
  const child = Bun.spawn(
    ["bun", import.meta.path, "--child", name, "--socket", server.socket, "--lines", String(count)],
    { env: { ...process.env, BENCH_VALKEY_PASSWORD: server.password }, stdout: "pipe", stderr: "inherit" },
  );
  const output = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error(`the ${name} run failed`);
  return JSON.parse(output.trim().split("\n").at(-1) as string) as Work;
}

/** SIGKILL the server, restart it after DOWN_MS, and time server ready → first PING answered. */
async function reconnectRun(name: ClientName, server: RedisServer, backoff: Backoff): Promise<number> {
  const driver = DRIVERS[name](server.socket, server.password, backoff);
  try {
    await driver.ready();
    await server.kill("SIGKILL");
    while (driver.up()) await sleep(1);
    await sleep(DOWN_MS);
    await server.launch();
    const readyAt = performance.now();
    for (;;) {
      try {
        await driver.ping();
        return Math.round((performance.now() - readyAt) * 10) / 10;
      } catch {
        await sleep(1);
      }
    }
  } finally {
    driver.close();
  }
}

const MEASUREMENTS = [...WORK_KEYS, "reconnect_ms", "reconnect_eager_ms"] as const;
type Measurement = (typeof MEASUREMENTS)[number];
type Samples = Record<ClientName | "ratio", Record<Measurement, number[]>>;

const LABELS: Record<Measurement, string> = {
  xadd_pipelined_ms: `XADD, pipelined (${WINDOW} in flight), ms`,
  xadd_sequential_ms: "XADD, one at a time (as the worker writes output), ms",
  xread_batch_100_ms: `XREAD back, COUNT ${COPIER_BATCH} (as the api's copier reads), ms`,
  xread_batch_10000_ms: `XREAD back, COUNT ${fmt(BULK_BATCH)}, ms`,
  rss_connected_mib: "RSS connected, before the work, MiB",
  rss_after_mib: "RSS after the work, MiB",
  heap_after_mib: "JS heap after the work (after a full GC), MiB",
  peak_rss_mib: "peak RSS (VmHWM), MiB",
  reconnect_ms: `reconnect, ${BACKOFF.initialMs} ms doubling to ${fmt(BACKOFF.maxMs)} ms: server ready → first PING answered, ms`,
  reconnect_eager_ms: `reconnect, a retry every ${EAGER.initialMs} ms: server ready → first PING answered, ms`,
};
/** Within this factor of the hand-written client counts as no worse. */
const NO_WORSE = 1.1;
/** Not an aim: with the backoff, a reconnection is timed by where the schedule stood when the server came back. */
const NOT_AIMS: readonly Measurement[] = ["reconnect_ms"];
const AIMS = MEASUREMENTS.filter((key) => !NOT_AIMS.includes(key));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: "boolean", default: false },
      lines: { type: "string" },
      runs: { type: "string" },
      child: { type: "string" },
      socket: { type: "string" },
    },
  });
  if (values.child !== undefined) {
    const password = process.env.BENCH_VALKEY_PASSWORD ?? "";
    await childRun(values.child as ClientName, values.socket as string, password, Number(values.lines));
    return;
  }
  const smoke = values.smoke === true;
  const count = Number(values.lines ?? (smoke ? 2000 : 200_000));
  const runs = Number(values.runs ?? (smoke ? 1 : 5));
  const root = join(import.meta.dir, "..");
  const out = smoke ? join(import.meta.dir, "results", "tmp") : join(import.meta.dir, "results");
  const work = join(import.meta.dir, "results", "tmp", "redis_client");
  mkdirSync(work, { recursive: true });
  saveLoadAverage(work, "before");

  const empty = () => Object.fromEntries(MEASUREMENTS.map((key) => [key, [] as number[]]));
  const samples = { "hand-written": empty(), ioredis: empty(), ratio: empty() } as Samples;
  const server = await RedisServer.start();
  try {
    for (let run = 0; run < runs; run++) {
      // Alternate who goes first, so a drift in the machine's load falls on both.
      const order = run % 2 === 0 ? CLIENTS : ([...CLIENTS].reverse() as ClientName[]);
      const figures: Partial<Record<ClientName, Record<string, number>>> = {};
      for (const name of order) {
        const result: Record<string, number> = { ...(await spawnRun(name, server, count)) };
        result.reconnect_ms = await reconnectRun(name, server, BACKOFF);
        result.reconnect_eager_ms = await reconnectRun(name, server, EAGER);
        figures[name] = result;
        for (const key of MEASUREMENTS) samples[name][key].push(result[key] as number);
        process.stderr.write(`run ${run + 1}/${runs} ${name}: ${JSON.stringify(result)}\n`);
      }
      for (const key of MEASUREMENTS) {
        const a = figures["hand-written"]?.[key] as number;
        const b = figures.ioredis?.[key] as number;
        samples.ratio[key].push(Math.round((b / a) * 1000) / 1000);
      }
    }
  } finally {
    await server.dispose();
  }

  saveLoadAverage(work, "after");
  const serverBinary = Bun.which("valkey-server") ?? Bun.which("redis-server");
  const machine: Machine = machineInfo(work, {
    bun: Bun.version,
    ioredis: (
      JSON.parse(readFileSync(join(root, "node_modules/ioredis/package.json"), "utf8")) as { version: string }
    ).version,
    server: serverBinary === null ? null : firstLine(serverBinary, "--version"),
  });
  const summary = (name: ClientName | "ratio") =>
    Object.fromEntries(MEASUREMENTS.map((key) => [key, stats(samples[name][key])])) as Record<
      string,
      Stats | null
    >;
  const record = {
    machine,
    smoke,
    lines: count,
    line_bytes: LINE_BYTES,
    runs,
    pipeline_window: WINDOW,
    backoff_ms: BACKOFF,
    eager_backoff_ms: EAGER,
    down_ms: DOWN_MS,
    "hand-written": summary("hand-written"),
    ioredis: summary("ioredis"),
    ratio_ioredis_to_hand_written: summary("ratio"),
    samples,
  };
  const markdown = render(record, smoke);
  process.stdout.write(`${markdown}\n`);
  writeReport({ json: join(out, "redis_client.json"), md: join(out, "redis_client.md") }, record, markdown);
}

function render(
  record: {
    machine: Machine;
    lines: number;
    runs: number;
    "hand-written": Record<string, Stats | null>;
    ioredis: Record<string, Stats | null>;
    ratio_ioredis_to_hand_written: Record<string, Stats | null>;
    samples: Samples;
  },
  smoke: boolean,
): string {
  const m = record.machine;
  const ratio = (key: string) => record.ratio_ioredis_to_hand_written[key]?.median ?? null;
  const aims = table(
    [
      "measurement",
      "hand-written (median)",
      "ioredis (median)",
      "ioredis ÷ hand-written (median of runs)",
      "met",
    ],
    MEASUREMENTS.map((key) => [
      LABELS[key],
      record["hand-written"][key]?.median,
      record.ioredis[key]?.median,
      fmt(ratio(key), 2),
      NOT_AIMS.includes(key)
        ? "– (backoff phase)"
        : (ratio(key) ?? Number.POSITIVE_INFINITY) <= NO_WORSE
          ? "yes"
          : "no",
    ]),
  );
  const perClient = (name: ClientName) =>
    table(
      STATS_HEAD,
      MEASUREMENTS.map((key) => statsRow(LABELS[key], record[name][key] ?? null)),
    );
  const throughput = (name: ClientName, key: WorkKey) => {
    const ms = median(record.samples[name][key]);
    return ms === null ? null : (record.lines / ms) * 1000;
  };
  const met = AIMS.filter((key) => (ratio(key) ?? Number.POSITIVE_INFINITY) <= NO_WORSE).length;
  return [
    "# Redis client: hand-written RESP vs ioredis",
    "",
    `${smoke ? "Smoke run (tiny; not a record). " : ""}${fmt(record.lines)} lines of ${LINE_BYTES} bytes, ` +
      `${record.runs} runs per client, the clients taking turns, each work run a process of its own; ` +
      `one ${String(m.server ?? "server")} over a Unix socket with a password; for a reconnection it is ` +
      `SIGKILLed and restarted on the same socket ${DOWN_MS} ms after the client noticed. ` +
      `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, Linux ${m.kernel}, ` +
      `load ${m.load_average_before?.join(" ") ?? "–"} before / ${m.load_average_after?.join(" ") ?? "–"} after; ` +
      `Bun ${m.bun}, ioredis ${m.ioredis}; commit ${m.git_head}.`,
    "",
    `## Aims: ioredis no worse than the hand-written client (ratio ≤ ${NO_WORSE})`,
    "",
    aims,
    "",
    "## hand-written (`@convoy/sidecar-runtime` valkey.ts)",
    "",
    perClient("hand-written"),
    "",
    "## ioredis",
    "",
    perClient("ioredis"),
    "",
    "## Reading",
    "",
    `ioredis is no worse on ${met} of the ${AIMS.length} figures aimed at. ` +
      `Pipelined XADD: ${fmt(throughput("hand-written", "xadd_pipelined_ms"))} lines/s hand-written, ` +
      `${fmt(throughput("ioredis", "xadd_pipelined_ms"))} ioredis (ratio of times ${fmt(ratio("xadd_pipelined_ms"), 2)}); ` +
      `one at a time, as the worker writes: ${fmt(throughput("hand-written", "xadd_sequential_ms"))} against ` +
      `${fmt(throughput("ioredis", "xadd_sequential_ms"))} (${fmt(ratio("xadd_sequential_ms"), 2)}); ` +
      `read back 100 at a time, as the copier reads: ${fmt(throughput("hand-written", "xread_batch_100_ms"))} against ` +
      `${fmt(throughput("ioredis", "xread_batch_100_ms"))} (${fmt(ratio("xread_batch_100_ms"), 2)}). ` +
      `Read back ${fmt(BULK_BATCH)} at a time: ${fmt(throughput("hand-written", "xread_batch_10000_ms"))} against ` +
      `${fmt(throughput("ioredis", "xread_batch_10000_ms"))} (${fmt(ratio("xread_batch_10000_ms"), 2)}). ` +
      `After the work the process holds ${fmt(record["hand-written"].rss_after_mib?.median)} MiB RSS hand-written and ` +
      `${fmt(record.ioredis.rss_after_mib?.median)} MiB with ioredis (${fmt(ratio("rss_after_mib"), 2)}). ` +
      `Both clients retry on the same backoff (${BACKOFF.initialMs} ms doubling to ${fmt(BACKOFF.maxMs)} ms), so the ` +
      `reconnection with it (${fmt(record["hand-written"].reconnect_ms?.median)} ms against ` +
      `${fmt(record.ioredis.reconnect_ms?.median)} ms) says where each stood in that schedule more than what the ` +
      `client costs; retrying every ${EAGER.initialMs} ms, the client's own part is ` +
      `${fmt(record["hand-written"].reconnect_eager_ms?.median)} ms against ${fmt(record.ioredis.reconnect_eager_ms?.median)} ms. ` +
      "The behaviours (reconnecting forever, refusing commands while down, per-command timeouts, WRONGPASS, " +
      "blocking reads) are compared in `packages/sidecar-runtime/test/redis-client-spike.test.ts`; the decision " +
      "is in `packages/sidecar-runtime/README.md`.",
    "",
  ].join("\n");
}

await main();
