/**
 * Turns the raw figures bench/supervisor.sh collected (one JSON file per phase
 * from convoy-supervisor-bench) into supervisor.json (raw samples, machine
 * info, summary) and supervisor.md (tables, aims, where the time goes).
 *
 *   bun bench/supervisor_report.ts --work <dir> --json <file> --md <file>
 *       --bun <bun> --valkey <valkey-server> [--compiled <sidecar>] [--smoke]
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { firstLine, type Machine, machineInfo } from "./lib/machine.ts";
import { recordedLine, reportArgs, writeReport } from "./lib/report.ts";
import { median, type Stats, stats } from "./lib/stats.ts";
import { fmt, STATS_HEAD, statsRow, statsTable, table } from "./lib/table.ts";

const AIM_RESTART_MS = 300;
const AIM_ALL_READY_MS = 300;
const ORDER = ["valkey", "migrate", "api", "worker"];
const ROOT = resolve(import.meta.dir, "..");

interface LaunchFigures {
  all_ready_ms: number[];
  sidecar_ready_ms: Record<string, number[]>;
  depends_on: Record<string, string[]>;
}

interface GraphVariant {
  label: string;
  program: string;
  load_floor_ms: number[];
  first_launch: LaunchFigures;
  relaunch: LaunchFigures;
  stop_all_ms: number[];
  crash: {
    kill_to_ready_ms: number[];
    kill_to_exit_noticed_ms: number[];
    backoff_ms: number[];
    start_to_ready_ms: number[];
    initial_backoff_ms: number;
    pause_between_ms: number;
  };
}

interface ExecFigures {
  label: string;
  command: string;
  runs_ms: number[];
  exit_codes: number[];
}

interface FloodRun {
  wall_ms: number;
  producer_alone_ms: number;
  cpu_user_ms: number;
  cpu_system_ms: number;
  rss_kb: number[];
  rss_sample_at_ms: number[];
  lines_kept: number;
  last_line_bytes: number;
  log_files: number;
  log_bytes: number;
}

interface FloodFigures {
  command: string;
  bytes: number;
  line_bytes: number;
  rss_before_kb: number;
  vm_hwm_kb: number;
  runs: FloodRun[];
}

type PhaseFile =
  | ({ phase: "exec" } & ExecFigures)
  | { phase: "graph"; variants: GraphVariant[] }
  | ({ phase: "flood" } & FloodFigures);

interface SupervisorRecord {
  machine: Machine;
  smoke: boolean;
  exec: ExecFigures[];
  graph: GraphVariant[];
  flood: FloodFigures;
  summary: { [variant: string]: { [figure: string]: Stats | null } };
}

/** Times as the record has always printed them: whole ms from 100 up, else one decimal. */
const ms = (x: number | null) =>
  x === null || !Number.isFinite(x) ? "–" : x.toFixed(Math.abs(x) >= 100 ? 0 : 1);
/** Counts, sizes and rates: whole, with thousands separated. */
const whole = (x: number | null) => fmt(x, 0);
const relative = (command: string) => command.replaceAll(`${ROOT}/`, "");
const cpuMs = (r: FloodRun) => r.cpu_user_ms + r.cpu_system_ms;

/** The finish time of each sidecar, each starting once what it depends on is ready. */
function longestChain(times: Record<string, number>, deps: Record<string, string[]>): number {
  const done = new Map<string, number>();
  const finish = (name: string): number => {
    const known = done.get(name);
    if (known !== undefined) return known;
    const after = Math.max(0, ...(deps[name] ?? []).map(finish));
    const at = (times[name] ?? 0) + after;
    done.set(name, at);
    return at;
  };
  return Math.max(0, ...Object.keys(times).map(finish));
}

/** Per run: all ready minus the longest chain of the sidecars' own start → ready times. */
function betweenSteps(launch: LaunchFigures): number[] {
  return launch.all_ready_ms.map((total, run) => {
    const times = Object.fromEntries(
      Object.entries(launch.sidecar_ready_ms).map(([name, samples]) => [name, samples[run] ?? 0]),
    );
    return total - longestChain(times, launch.depends_on);
  });
}

/** The start order in words: "valkey beside migrate, then api, then worker". */
function chain(launch: LaunchFigures): string {
  const deps = launch.depends_on;
  const depth = new Map<string, number>();
  const level = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const at = 1 + Math.max(-1, ...(deps[name] ?? []).map(level));
    depth.set(name, at);
    return at;
  };
  const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  const steps: string[][] = [];
  for (const name of Object.keys(deps).sort((a, b) => rank(a) - rank(b))) {
    const at = level(name);
    steps[at] = [...(steps[at] ?? []), name];
  }
  return steps
    .filter((names) => names.length > 0)
    .map((names) => names.join(" beside "))
    .join(", then ");
}

function aims(graph: GraphVariant[]): string {
  const rows = graph.flatMap((g) =>
    (
      [
        ["api crash → ready again < 300 ms", g.crash.kill_to_ready_ms, AIM_RESTART_MS],
        [
          "start of first sidecar → all ready < 300 ms, first launch (empty data dir)",
          g.first_launch.all_ready_ms,
          AIM_ALL_READY_MS,
        ],
        [
          "start of first sidecar → all ready < 300 ms, later launch (existing data)",
          g.relaunch.all_ready_ms,
          AIM_ALL_READY_MS,
        ],
      ] as const
    ).map(([label, samples, aim]) => {
      const s = stats(samples);
      const met = s !== null && s.median < aim;
      const p90Met = s !== null && s.p90 < aim;
      const verdict = `${met ? "yes" : "**no**"}${p90Met === met ? "" : met ? " (p90 is not)" : " (p90 is)"}`;
      return [label, g.label, ms(s?.median ?? null), ms(s?.p90 ?? null), verdict];
    }),
  );
  return table(["aim", "sidecar", "median", "p90", "met (median)"], rows, ["l", "l", "r", "r", "l"]);
}

function launchSection(g: GraphVariant): string[] {
  const rows: [string, Stats | null][] = [];
  for (const [launch, title] of [
    [g.first_launch, "first launch (empty data dir)"],
    [g.relaunch, "later launch (existing data)"],
  ] as const) {
    rows.push([`**all ready, ${title}**`, stats(launch.all_ready_ms)]);
    for (const name of ORDER.filter((n) => n in launch.sidecar_ready_ms))
      rows.push([`&nbsp;&nbsp;${name} start → ready`, stats(launch.sidecar_ready_ms[name] ?? [])]);
    rows.push(["&nbsp;&nbsp;the rest (the supervisor between steps)", stats(betweenSteps(launch))]);
  }
  rows.push(["stop_all (every sidecar, reverse order)", stats(g.stop_all_ms)]);
  return [
    `## Launch → all ready: ${g.label}`,
    "",
    `\`${relative(g.program)}\`. Each sidecar's figure is its own start → ready (spawn, start-up, probe). ` +
      "A sidecar starts once what it depends on is ready, independent ones side by side " +
      `(${chain(g.first_launch)}), so all ready is the longest chain of them; the rest is the supervisor between steps.`,
    "",
    statsTable(rows, ms),
    "",
  ];
}

function crashSection(g: GraphVariant): string[] {
  const c = g.crash;
  return [
    `## api crash → ready again: ${g.label}`,
    "",
    `SIGKILL to the api's pid, ${ms(c.pause_between_ms)} ms apart so each crash is a first one (the app's ` +
      `restart policy: initial backoff ${ms(c.initial_backoff_ms)} ms, doubling for crashes in quick succession). ` +
      "Split at the status events the supervisor reports.",
    "",
    statsTable(
      [
        ["**kill → api ready again (new pid)**", stats(c.kill_to_ready_ms)],
        ["&nbsp;&nbsp;kill → exit noticed", stats(c.kill_to_exit_noticed_ms)],
        ["&nbsp;&nbsp;backoff (restarting → starting)", stats(c.backoff_ms)],
        ["&nbsp;&nbsp;starting → ready (spawn, start-up, `/health`)", stats(c.start_to_ready_ms)],
      ],
      ms,
    ),
    "",
  ];
}

function floorsSection(data: SupervisorRecord): string[] {
  return [
    "## Start-up floors",
    "",
    "A program started and waited for, output discarded: what no supervisor can go below. The sidecar with " +
      "no role loads its whole module graph, prints its usage and exits 2; it is timed once before each launch " +
      "above, so it saw the same machine.",
    "",
    statsTable(
      [
        ...data.exec.map((e) => [`\`${relative(e.command)}\` – ${e.label}`, stats(e.runs_ms)] as const),
        ...data.graph.map(
          (g) =>
            [
              `\`${relative(g.program)}\` – the sidecar (${g.label}) with no role`,
              stats(g.load_floor_ms),
            ] as const,
        ),
      ],
      ms,
    ),
    "",
  ];
}

function floodSection(f: FloodFigures): string[] {
  const mb = f.bytes / 1e6;
  const runs = f.runs;
  const statsOf = (pick: (r: FloodRun) => number) => stats(runs.map(pick));
  return [
    "## Flood: the shell while a sidecar floods its output",
    "",
    `A one-shot sidecar prints ${whole(mb)} MB as ${f.line_bytes}-byte lines (\`${f.command}\`); the supervisor ` +
      "reads both pipes, redacts two secrets per line, keeps the last 2000 lines and writes rotating log files. " +
      "CPU is this process (all threads, getrusage), not the producer; RSS sampled every 50 ms.",
    "",
    table(
      STATS_HEAD,
      (
        [
          ["wall time, ms", statsOf((r) => r.wall_ms), ms],
          ["throughput through the supervisor, MB/s", statsOf((r) => mb / (r.wall_ms / 1000)), whole],
          ["producer alone into /dev/null, MB/s", statsOf((r) => mb / (r.producer_alone_ms / 1000)), whole],
          ["shell CPU (user + system), ms", statsOf(cpuMs), ms],
          ["shell CPU, % of one core", statsOf((r) => (100 * cpuMs(r)) / r.wall_ms), whole],
          ["shell CPU per MB, ms", statsOf((r) => cpuMs(r) / mb), ms],
          ["RSS, peak sample, kB", statsOf((r) => Math.max(...r.rss_kb)), whole],
          ["RSS, median sample, kB", statsOf((r) => median(r.rss_kb) ?? Number.NaN), whole],
          [
            `log files on disk after (${runs[0]?.log_files} files), bytes`,
            statsOf((r) => r.log_bytes),
            whole,
          ],
        ] as const
      ).map(([label, s, format]) => statsRow(label, s, format)),
    ),
    "",
    `RSS before the first flood ${whole(f.rss_before_kb)} kB; VmHWM (peak over the whole process) ` +
      `${whole(f.vm_hwm_kb)} kB after ${runs.length} floods totalling ${whole(mb * runs.length)} MB.`,
    "",
  ];
}

/** The reading: the same sentences every run, the figures filled in; the verdicts are in the aims table. */
function reading(data: SupervisorRecord): string[] {
  const execMedian = (word: string) => median(data.exec.find((e) => e.label.includes(word))?.runs_ms ?? []);
  const perVariant = data.graph.flatMap((g) => {
    const floor = median(g.load_floor_ms);
    const launches = (
      [
        [g.first_launch, "first launch"],
        [g.relaunch, "later launch"],
      ] as const
    ).map(([launch, title]) => {
      const total = median(launch.all_ready_ms);
      const parts = ORDER.filter((n) => n in launch.sidecar_ready_ms)
        .map((n) => `${n} ${ms(median(launch.sidecar_ready_ms[n] ?? []))}`)
        .join(", ");
      return (
        `**${g.label}, ${title}**: all ready in ${ms(total)} ms; each step's own start → ready: ${parts} ` +
        `(medians; ${chain(launch)}). Three of the four steps start the sidecar executable, and loading its code ` +
        `alone takes ${ms(floor)} ms: three such loads are ${ms(3 * (floor ?? Number.NaN))} ms of the ${ms(total)} ms.`
      );
    });
    const migrate = median(g.relaunch.sidecar_ready_ms.migrate ?? []);
    const c = g.crash;
    return [
      ...launches,
      `**${g.label}, migrate with nothing to migrate** still costs ${ms(migrate)} ms, against ${ms(floor)} ms ` +
        `to load the sidecar at all (${whole((100 * (floor ?? Number.NaN)) / (migrate ?? Number.NaN))}%): on every ` +
        "launch after the first, that share of the step is the price of starting a separate one-shot process.",
      `**${g.label}, crash**: ${ms(median(c.kill_to_ready_ms))} ms = exit noticed after ` +
        `${ms(median(c.kill_to_exit_noticed_ms))} + backoff ${ms(median(c.backoff_ms))} + start → ready ` +
        `${ms(median(c.start_to_ready_ms))} ms; the backoff is the restart policy's initial delay, spent on purpose.`,
    ];
  });
  const f = data.flood;
  const mb = f.bytes / 1e6;
  const through = median(f.runs.map((r) => mb / (r.wall_ms / 1000)));
  const alone = median(f.runs.map((r) => mb / (r.producer_alone_ms / 1000)));
  const lineCount = f.bytes / (f.line_bytes + 1);
  const perLineUs = median(f.runs.map((r) => (cpuMs(r) * 1000) / lineCount));
  const core = median(f.runs.map((r) => (100 * cpuMs(r)) / r.wall_ms));
  const peak = Math.max(...f.runs.flatMap((r) => r.rss_kb));
  return [
    ...perVariant,
    `**Floors**: a spawn costs ${ms(execMedian("spawn floor"))} ms and Bun itself starts in ` +
      `${ms(execMedian("bun -e 0"))} ms; the rest of a sidecar's load floor is loading its own code.`,
    `**Flood**: ${whole(through)} MB/s through the supervisor against ${whole(alone)} MB/s for the producer alone ` +
      `(${whole((100 * (through ?? Number.NaN)) / (alone ?? Number.NaN))}% of it: the gap is the producer waiting ` +
      `on a full pipe while the supervisor reads); the shell spent ${fmt(perLineUs, 2)} µs of CPU per line (split, ` +
      "redact, keep, write to file; the steadiest of these figures on a shared machine), " +
      `${whole(core)}% of one core while it lasted, and its memory stayed at ${fmt(peak / 1024, 1)} MB at most: ` +
      "the line buffer and the log files are bounded.",
    "Probes poll every 10 ms (the ready-line probe reads the log on the same tick), so each probed step may " +
      "include up to 10 ms of waiting for the next tick.",
  ].map((line) => `- ${line}`);
}

function render(data: SupervisorRecord): string {
  const m = data.machine;
  const list = (values: number[] | null) => (values === null ? "None" : `[${values.join(", ")}]`);
  return [
    "# Supervisor benchmark",
    "",
    ...(data.smoke
      ? [
          "**Smoke run** (each measurement once, tiny flood): checks the benchmark works; the figures mean nothing.",
          "",
        ]
      : []),
    recordedLine(m, "bash bench/supervisor.sh"),
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, Linux ${m.kernel}, load average (1, 5, 15 min) ` +
      `before ${list(m.load_average_before)}, after ${list(m.load_average_after)}. ${m.rustc}; Bun ${m.bun}; ${m.valkey}.`,
    "",
    "All times in milliseconds. Shared, noisy machine: read the medians; p90 is nearest-rank. The graph is " +
      "Runbook's own, read from `apps/runbook/src-tauri/tauri.conf.json` by the supervisor's configuration code as " +
      "the app reads it (valkey → migrate → api → worker, same probes, environment, log files and redaction as the " +
      "app); the shell is this benchmark's process in place of Tauri.",
    "",
    "## Aims",
    "",
    aims(data.graph),
    "",
    ...data.graph.flatMap(launchSection),
    ...data.graph.flatMap(crashSection),
    ...floorsSection(data),
    ...floodSection(data.flood),
    "## Where the time goes",
    "",
    ...reading(data),
    "",
  ].join("\n");
}

function main(): void {
  const args = reportArgs("supervisor_report", {
    extra: {
      bun: { type: "string" },
      valkey: { type: "string" },
      compiled: { type: "string" },
      smoke: { type: "boolean" },
    },
  });
  const { bun, valkey, compiled, smoke } = args.values;
  if (bun === undefined || valkey === undefined) {
    process.stderr.write("supervisor_report: --bun and --valkey are required\n");
    process.exit(2);
  }
  const exec: ExecFigures[] = [];
  const graph: GraphVariant[] = [];
  let flood: FloodFigures | undefined;
  for (const name of readdirSync(args.work).sort()) {
    if (!name.endsWith(".json")) continue;
    const figures = JSON.parse(readFileSync(join(args.work, name), "utf8")) as PhaseFile;
    if (figures.phase === "exec") exec.push(withoutPhase(figures));
    if (figures.phase === "graph") graph.push(...figures.variants);
    if (figures.phase === "flood") flood = withoutPhase(figures);
  }
  if (flood === undefined || graph.length === 0) {
    process.stderr.write(`supervisor_report: no graph or flood figures in ${args.work}\n`);
    process.exit(1);
  }
  const data: SupervisorRecord = {
    machine: machineInfo(args.work, {
      rustc: firstLine("rustc", "--version"),
      bun: firstLine(bun, "--version"),
      valkey: firstLine(valkey, "--version"),
      compiled_sidecar: compiled ?? null,
    }),
    smoke: smoke ?? false,
    exec,
    graph,
    flood,
    summary: Object.fromEntries(
      graph.map((g) => [
        g.label,
        {
          first_launch_all_ready_ms: stats(g.first_launch.all_ready_ms),
          relaunch_all_ready_ms: stats(g.relaunch.all_ready_ms),
          crash_to_ready_ms: stats(g.crash.kill_to_ready_ms),
        },
      ]),
    ),
  };
  writeReport(args, data, render(data));
}

function withoutPhase<T extends { phase: string }>(figures: T): Omit<T, "phase"> {
  const { phase: _, ...rest } = figures;
  return rest;
}

main();
