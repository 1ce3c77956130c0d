/**
 * Start-up: launch → Runbook's main window showing data from the api, against
 * launch → the empty Tauri app's DOMContentLoaded; both measured inside the
 * app and reported by it (its `startup_report` command). Release builds on an
 * X display; the two apps take turns. Then a few profiled launches, the
 * process table polled every few milliseconds, say where the time goes.
 * Writes startup.json (every sample, machine) and startup.md. Run by startup.sh.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  APP_OPTIONS,
  type App,
  appsFrom,
  appsMachine,
  launch,
  type Reported,
  reportOpening,
  role,
  stopAndNote,
  waitReported,
} from "./lib/desktop.ts";
import type { Machine } from "./lib/machine.ts";
import { CLOCK_TICKS_PER_S, cpuMs, descendants, readStat } from "./lib/proc.ts";
import { reportArgs, writeReport } from "./lib/report.ts";
import { median, stats } from "./lib/stats.ts";
import { fmt, statsTable, table } from "./lib/table.ts";

const AIM_RATIO = 1.25;
const SHORT_LIVED = "short-lived child (gone before it could be named)";

interface ProcessEvent {
  role: string;
  started_ms: number;
  cpu_ms: number;
  gone_by_ms?: number;
}

interface Profile extends Reported {
  processes: ProcessEvent[];
  shell_cpu_ms: number | null;
}

async function measure(app: App, display: string, work: string): Promise<Reported> {
  const run = launch(app, display, work);
  try {
    return await waitReported(run);
  } finally {
    await stopAndNote(run);
  }
}

/** Seconds since boot, the clock /proc's start times count on. */
const uptime = (): number => Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);

/**
 * One launch with the process table polled: when each process of the app
 * started (from /proc, 10 ms ticks), relative to the shell's own start, and
 * the CPU each had used by the milestone.
 */
async function profile(app: App, display: string, work: string): Promise<Profile> {
  const run = launch(app, display, work);
  const seen = new Map<number, { start: number; role?: string; lastSeen: number; cpuMs?: number }>();
  const poll = () => {
    const now = uptime();
    for (const pid of descendants(run.pid)) {
      let entry = seen.get(pid);
      if (entry === undefined) {
        const stat = readStat(pid);
        if (stat === null) continue;
        entry = { start: stat.starttime / CLOCK_TICKS_PER_S, lastSeen: now };
        seen.set(pid, entry);
      }
      // Read again each time: a child is the shell's own fork until it execs.
      const named = role(pid);
      if (named !== "?" || entry.role === undefined) entry.role = named;
      entry.lastSeen = now;
      const used = cpuMs(pid);
      if (used !== null) entry.cpuMs = used;
    }
  };
  let report: Reported;
  let shellCpu: number | null;
  let shellStart: number | null;
  try {
    report = await waitReported(run, { onPoll: poll });
    shellCpu = cpuMs(run.pid);
    const shell = readStat(run.pid);
    shellStart = shell === null ? null : shell.starttime / CLOCK_TICKS_PER_S;
  } finally {
    await stopAndNote(run);
  }
  const events = [...seen.values()]
    .sort((a, b) => a.start - b.start)
    .flatMap((entry): ProcessEvent[] => {
      if (shellStart === null) return [];
      const event: ProcessEvent = {
        role: entry.role === "?" ? SHORT_LIVED : (entry.role as string),
        started_ms: Math.round((entry.start - shellStart) * 1000),
        cpu_ms: entry.cpuMs ?? 0,
      };
      if (entry.role === "sidecar migrate")
        event.gone_by_ms = Math.round((entry.lastSeen - shellStart) * 1000);
      return [event];
    });
  // The second WebKitWebProcess is another window's: number them.
  const counts = new Map<string, number>();
  for (const event of events) {
    const count = (counts.get(event.role) ?? 0) + 1;
    counts.set(event.role, count);
    if (count > 1) event.role += ` #${count}`;
  }
  return { ...report, processes: events, shell_cpu_ms: shellCpu };
}

/**
 * The same sidecar chain with no webview beside it: the compiled sidecar's
 * first launch in bench/results/supervisor.json (medians, ms), if recorded.
 */
function supervisorAlone(root: string): Record<string, number | string> | null {
  try {
    const graphs = JSON.parse(readFileSync(join(root, "bench/results/supervisor.json"), "utf8")).graph as {
      label: string;
      first_launch: { all_ready_ms: number[]; sidecar_ready_ms: Record<string, number[]> };
    }[];
    const first = graphs.find((g) => g.label === "compiled")?.first_launch;
    if (first === undefined) return null;
    const out: Record<string, number | string> = {
      recorded: "bench/results/supervisor.json",
      all_ready_ms: median(first.all_ready_ms) as number,
    };
    for (const [name, samples] of Object.entries(first.sidecar_ready_ms)) {
      out[`${name}_ready_ms`] = median(samples) as number;
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * The size of the main window's JavaScript entry chunk in the UI build the
 * release app embeds (kB, 1000 bytes), or null when there is no build.
 */
function mainChunkKb(root: string): number | null {
  const assets = join(root, "apps/runbook/ui/dist/assets");
  let chunks: string[];
  try {
    chunks = readdirSync(assets)
      .filter((name) => /^main-.*\.js$/.test(name))
      .sort();
  } catch {
    return null;
  }
  const first = chunks[0];
  return first === undefined ? null : Math.round(statSync(join(assets, first)).size / 1000);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function summarise(runbook: Reported[], empty: Reported[]) {
  const rb = stats(runbook.map((s) => s.in_app_ms));
  const em = stats(empty.map((s) => s.in_app_ms));
  const rbSpawn = stats(runbook.map((s) => s.from_spawn_ms));
  const emSpawn = stats(empty.map((s) => s.from_spawn_ms));
  const ratio = rb && em ? rb.median / em.median : null;
  const withReady = runbook.filter((s) => s.sidecars_ready_ms !== undefined);
  return {
    runbook_sidecars_ready_ms: stats(withReady.map((s) => s.sidecars_ready_ms)),
    runbook_ready_to_data_ms: stats(withReady.map((s) => s.in_app_ms - (s.sidecars_ready_ms as number))),
    runbook_in_app_ms: rb,
    empty_tauri_in_app_ms: em,
    runbook_from_spawn_ms: rbSpawn,
    empty_tauri_from_spawn_ms: emSpawn,
    ratio_in_app: ratio === null ? null : round3(ratio),
    ratio_from_spawn: rbSpawn && emSpawn ? round3(rbSpawn.median / emSpawn.median) : null,
    aim_ratio: AIM_RATIO,
    aim_met: ratio !== null && ratio <= AIM_RATIO,
  };
}

export type StartupRecord = {
  machine: Machine;
  smoke: boolean;
  runs: number;
  runbook: Reported[];
  empty_tauri: Reported[];
  runbook_profiles: Profile[];
  empty_tauri_profiles: Profile[];
  supervisor_alone: Record<string, number | string> | null;
  ui_main_chunk_kb: number | null;
  summary: ReturnType<typeof summarise>;
};

/** Per role, when it started (and, for `migrate`, was last seen) in each profiled launch, ordered by median start. */
function profileTable(profiles: Profile[]): Map<string, { started: number[]; gone: number[] }> {
  const byRole = new Map<string, { started: number[]; gone: number[] }>();
  for (const prof of profiles) {
    const firsts = new Map<string, ProcessEvent>();
    for (const event of prof.processes) if (!firsts.has(event.role)) firsts.set(event.role, event);
    for (const [name, event] of firsts) {
      const entry = byRole.get(name) ?? { started: [], gone: [] };
      byRole.set(name, entry);
      entry.started.push(event.started_ms);
      if (event.gone_by_ms !== undefined) entry.gone.push(event.gone_by_ms);
    }
  }
  return new Map(
    [...byRole].sort((a, b) => (median(a[1].started) as number) - (median(b[1].started) as number)),
  );
}

/** A process role without its `#n`. */
const kindOf = (name: string) => name.split(" #")[0] as string;

function cpuOf(prof: Profile): Map<string, number> {
  const out = new Map<string, number>([["shell", prof.shell_cpu_ms ?? 0]]);
  for (const event of prof.processes) {
    const kind = kindOf(event.role);
    out.set(kind, (out.get(kind) ?? 0) + event.cpu_ms);
  }
  return out;
}

/** Median CPU ms per kind of process over the profiled launches, largest first. */
function cpuByKind(profiles: Profile[]): Map<string, number> {
  const per = profiles.map(cpuOf);
  const kinds = new Set(per.flatMap((p) => [...p.keys()]));
  const medians = [...kinds].map((k) => [k, median(per.map((p) => p.get(k) ?? 0)) as number] as const);
  return new Map(medians.sort((a, b) => b[1] - a[1]));
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
/** Whole ms as the reading prints them (no separators), "–" when missing. */
const ms = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? "–" : x.toFixed(0);
const sub = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined ? null : a - b;

export function render(data: StartupRecord): string {
  const s = data.summary;
  const m = data.machine;
  const rb = s.runbook_in_app_ms;
  const em = s.empty_tauri_in_app_ms;
  const rbProf = data.runbook_profiles;
  const emProf = data.empty_tauri_profiles;
  const rbRows = profileTable(rbProf);
  const emRows = profileTable(emProf);
  const rbCpu = cpuByKind(rbProf);
  const emCpu = cpuByKind(emProf);
  const rbWall = median(rbProf.map((p) => p.from_spawn_ms));
  const emWall = median(emProf.map((p) => p.from_spawn_ms));
  const rbCpuSum = median(rbProf.map((p) => sum(cpuOf(p).values())));
  const emCpuSum = median(emProf.map((p) => sum(cpuOf(p).values())));
  const busy = (cpu: number | null, wall: number | null) =>
    cpu === null || wall === null ? "–" : (cpu / wall).toFixed(2);
  const profileRows = [...rbRows.keys(), ...[...emRows.keys()].filter((r) => !rbRows.has(r))].map((name) => {
    const r = rbRows.get(name);
    const e = emRows.get(name);
    return [
      name,
      r ? fmt(median(r.started)) : "",
      r && r.gone.length > 0 ? fmt(median(r.gone)) : "",
      e ? fmt(median(e.started)) : "",
    ];
  });
  const cpuRows = [...rbCpu.keys(), ...[...emCpu.keys()].filter((k) => !rbCpu.has(k))].map((kind) => [
    kind,
    fmt(rbCpu.get(kind), 0),
    fmt(emCpu.get(kind), 0),
  ]);
  return [
    ...reportOpening(
      "Start-up benchmark",
      "bash bench/startup.sh",
      data.smoke ? "one launch of each" : null,
      m,
    ),
    "",
    "Release builds (`cargo build --release --features tauri/custom-protocol`, the assets " +
      "embedded as `tauri build` does), launched directly on a private Xvfb display, one at a time, " +
      `${data.runs} launches each after one warm-up launch each, the two apps taking turns. ` +
      "Runbook runs its compiled sidecar (`CONVOY_SIDECAR`) with a fresh `CONVOY_DATA_DIR` each launch " +
      "(so `migrate` creates the database every time). Milliseconds; p90 is nearest-rank; the machine " +
      "is shared and noisy: read the medians.",
    "",
    "Each app measures its own start-up: the shell takes an `Instant` first thing (Runbook: the top " +
      "of `run()`; the baseline: the top of `main()`), and its page calls the `startup_report` command " +
      "at the milestone; the command records the time once and prints " +
      "`convoy:startup <milestone>-ms=<n> unix-ms=<wall clock>` (stderr, and the file named by " +
      "`CONVOY_STARTUP_REPORT`). Runbook's milestone is the jobs list first rendered with data from " +
      "the api (the main window is shown by then); the baseline's is its page's DOMContentLoaded. " +
      "*From spawn* uses the wall clock in the line against the benchmark's own clock just before it " +
      "spawned the process, so it adds exec, dynamic linking and everything before `main`.",
    "",
    "## Aims",
    "",
    table(
      ["aim", "Runbook (median)", "empty Tauri (median)", "ratio", "met"],
      [
        [
          `launch → main window with api data ≤ ${AIM_RATIO} × launch → empty app's DOMContentLoaded ` +
            "(measured in the app)",
          `${fmt(rb?.median)} ms`,
          `${fmt(em?.median)} ms`,
          fmt(s.ratio_in_app, 2),
          s.aim_met ? "yes" : "**no**",
        ],
      ],
      ["l", "r", "r", "r", "l"],
    ),
    "",
    "## Figures",
    "",
    statsTable([
      ["**Runbook: launch → main window with api data (in the app)**", rb],
      ["Runbook: spawn → main window with api data", s.runbook_from_spawn_ms],
      ["Runbook: launch → every sidecar ready (in the app)", s.runbook_sidecars_ready_ms],
      ["Runbook: every sidecar ready → main window with api data", s.runbook_ready_to_data_ms],
      ["**empty Tauri: launch → DOMContentLoaded (in the app)**", em],
      ["empty Tauri: spawn → DOMContentLoaded", s.empty_tauri_from_spawn_ms],
    ]),
    "",
    `Ratio of medians: ${fmt(s.ratio_in_app, 2)} in the app, ${fmt(s.ratio_from_spawn, 2)} from spawn.`,
    "",
    "## Where the time goes",
    "",
    `${rbProf.length} more launches of each app with the process table polled (every ~5 ms, which ` +
      "costs CPU: these launches are not in the figures above): when each process of the app " +
      "started, from `/proc` (10 ms clock ticks), in ms after the shell's own process started; " +
      "medians over those launches. A child still named after the shell is the shell's fork before " +
      "it execs a sidecar.",
    "",
    table(
      ["process", "Runbook: started", "Runbook: gone by", "empty Tauri: started"],
      [
        ...profileRows,
        ["**milestone reported** (its wall-clock time, from the spawn)", fmt(rbWall, 0), "", fmt(emWall, 0)],
      ],
    ),
    "",
    "CPU time (user + system, from `/proc`, 10 ms ticks) each kind of process had used by the " +
      "milestone, median over the profiled launches (a process that had already exited, such as " +
      "`migrate`, shows what it used by the last poll that saw it):",
    "",
    table(
      ["process", "Runbook CPU ms", "empty Tauri CPU ms"],
      [
        ...cpuRows,
        [
          "**all, against wall time from spawn**",
          `${ms(rbCpuSum)} in ${ms(rbWall)} (${busy(rbCpuSum, rbWall)} cores busy)`,
          `${ms(emCpuSum)} in ${ms(emWall)} (${busy(emCpuSum, emWall)})`,
        ],
      ],
    ),
    "",
    reading(data, rbRows, emRows, rbCpu, emCpu),
    "",
  ].join("\n");
}

/**
 * What was tried against this benchmark, measured by hand with the same
 * release builds, apps and display (not part of a run's figures).
 */
const TRIED = `Tried on 2026-11-22 (by hand: 8 launches of each variant taking turns, medians in the app; not part of this run's figures):

- **the splash as a small static page** (\`splash.html\`, a few kB of JavaScript, no React) instead of the React bundle: kept; 531 ms against 529 before, no measurable change in the milestone, though the splash's web process used ~60 ms less CPU (130–180 against 180–240) and shows the steps sooner;
- **the supervisor started before the windows**: valkey started ~90 ms earlier and every sidecar was ready ~110 ms earlier, but the milestone did not move (534 against 529), and in about one launch in ten the shell hung for good: creating a window asks the session bus for the colour scheme, without a bus libdbus forks a helper and reads its pipe to EOF, and a sidecar spawned meanwhile inherited the pipe's write end (fixed since: the supervisor marks every inherited descriptor close-on-exec, so no sidecar holds such a pipe). Not kept, for no gain: the windows come first;
- **\`migrate\` beside valkey**: the graph says \`migrate\` depends on nothing (the api still waits for both), and the supervisor now starts independent sidecars side by side: kept (in this run's chain above);
- **the main window shown when the api is ready** instead of after the worker: 647 against 625, no gain (the page, not the worker, decides); DESIGN's "when all are ready" is kept;
- **the api endpoint in the ready event** instead of a command: one small invoke is ~0.5 ms (\`ipc.md\`); not done;
- **no splash window at all** (an experiment, not a proposal within DESIGN): 477 against 621, so the splash, in its own web process then, cost ~145 ms of Runbook's start-up on these 2 cores;
- **the splash in the main window's web process** (WebKitGTK's related view, \`windows.rs\`) instead of a second web process: kept; 479 against 525 ms (two rounds of 6 launches of each, taking turns, each round against the empty app: ratio 2.11 against 2.26), and every sidecar ready ~80 ms sooner (345 against 425): one web process fewer starting on the cores the sidecars need. Its price is memory: the shared process keeps part of the closed splash page, 6 to 17 MiB at idle (\`memory.md\`).

Tried on 2026-12-01, after start-up had gone from 475 to 519 ms with templates, sealed secrets and retention (the same release shell, the compiled sidecar swapped through \`CONVOY_SIDECAR\`, launches taking turns with the empty app; the machine busy with other builds, load 5 to 6, so every figure is about twice a quiet run's; compare within a row):

- **where the sidecars' time went**: \`RUNBOOK_STARTUP_PROFILE=1\` logs each phase of a role's start (ms and CPU since the process started). Each role spent ~65 ms of CPU before its own code ran: Bun parsing the whole bundle and evaluating every role's modules (the api's zod schemas and routes in \`migrate\` and the worker too), 15–20 ms more per role than before those features; everything after (database, migrations, Valkey, routes, the worker's X25519 key pair: 0.2 ms) was 5–15 ms;
- **each role imports only its own modules** (\`main.ts\`) and **the executable carries bytecode** (\`bun build --compile --bytecode\`, \`scripts/compile-sidecar.sh\`): kept. CPU from spawn to ready, each role alone against a real Valkey (median of 8): \`migrate\` 82 → 51 (lazy) → 26 ms (and bytecode), the api 80 → 80 → 40, the worker 60 → 50 → 20 (the build of 475 ms: 64, 60, 50). In the app, 10 rounds: every sidecar ready 1673 → 825 ms, data on screen 2009 → 1343, the empty app 804 (8 rounds at load 5 to 7, lazy imports alone: ready 1319 → 1166, both 949);
- **retention's first pass** waits 10 s instead of running before the api answers \`/health\` (a large history's first pass would delay it); no effect on a fresh data directory;
- **the main window's bundle** grew from 241 to 292 kB with TanStack Query (36 kB, kept: the UI's server state lives in it), the update banner (5 kB) and Re-run (2 kB), both not on the first screen and candidates for lazy loading.`;

/** The prose under "Where the time goes": one template, the figures filled in ("–" where one is missing). */
function reading(
  data: StartupRecord,
  rbRows: Map<string, { started: number[] }>,
  emRows: Map<string, { started: number[] }>,
  rbCpu: Map<string, number>,
  emCpu: Map<string, number>,
): string {
  const s = data.summary;
  const started = (rows: Map<string, { started: number[] }>, name: string) =>
    median(rows.get(name)?.started ?? []);
  // On the same clock as the process start times: from the spawn (the fork).
  const rbTotal = median(data.runbook_profiles.map((p) => p.from_spawn_ms));
  const emTotal = median(data.empty_tauri_profiles.map((p) => p.from_spawn_ms));
  const preMain = median([...data.runbook, ...data.empty_tauri].map((x) => x.from_spawn_ms - x.in_app_ms));
  const valkey = started(rbRows, "valkey");
  const migrate = started(rbRows, "sidecar migrate");
  const api = started(rbRows, "sidecar api");
  const worker = started(rbRows, "sidecar worker");
  const ready = s.runbook_sidecars_ready_ms;
  const page = s.runbook_ready_to_data_ms;
  const alone = (key: string) => {
    const value = data.supervisor_alone?.[key];
    return typeof value === "number" ? value : null;
  };
  const aloneChain = sum(
    [alone("valkey_ready_ms"), alone("migrate_ready_ms"), alone("api_ready_ms")].map((x) => x ?? Number.NaN),
  );
  const sidecarCpu = sum(
    [...rbCpu].filter(([k]) => k.startsWith("sidecar") || k === "valkey").map(([, v]) => v),
  );
  return `Both shells spend ~${ms(preMain)} ms between the spawn and \`main()\` (exec, loading and linking GTK, WebKit and their libraries: the difference between the *from spawn* and *in the app* figures), and their first ~${ms(started(rbRows, "WebKitNetworkProcess"))} ms (Runbook) and ~${ms(started(emRows, "WebKitNetworkProcess"))} ms (empty app) before WebKit's first process appears (that, Tauri's set-up, the first webview). The empty app then has its page's DOMContentLoaded at ~${ms(emTotal)} ms from the spawn.

Runbook's launch is a chain (medians of the profiled launches, ms after the shell's start):

1. the shell creates both windows (the hidden main window, whose React page starts loading, and the splash, a small static page drawn by the same web process), then starts the supervisor: valkey starts at ~${ms(valkey)};
2. \`migrate\`, which depends on nothing, starts beside it at ~${ms(migrate)} (${ms(sub(migrate, valkey))} after valkey: the supervisor starts every sidecar whose dependencies are ready at once);
3. valkey answers PING and \`migrate\` creates the database and exits; the api, which needs both, starts at ~${ms(api)} (${ms(sub(api, migrate))} after \`migrate\`);
4. the api answers \`/health\`; the worker starts at ~${ms(worker)} (${ms(sub(worker, api))} later);
5. the worker reaches Valkey and prints its ready line; the shell marks start-up ready and shows the main window, whose page (loaded while hidden) asks for the api endpoint, fetches \`/jobs\` and renders: data on screen at ~${ms(rbTotal)} (${ms(sub(rbTotal, worker))} after the worker started).

The sidecar chain (valkey start → data) takes ~${ms(sub(rbTotal, valkey))} ms and starts only after ~${ms(valkey)} ms of shell and window set-up; each step waits for the one before.

In the timed launches every sidecar was ready at a median of ${ms(ready?.median)} ms in the app (the shell prints the moment), and the data was on screen ${ms(page?.median)} ms later (median; ${ms(page?.min)} to ${ms(page?.max)}): the ready event, a React render, one command, the \`/jobs\` request (with its CORS preflight) and another render, on busy cores, and whatever of the main window's React bundle (${fmt(data.ui_main_chunk_kb, 0)} kB) is still loading. Sidecars ready earlier do not bring the data earlier (tried, below): the main window's page, loaded on two cores shared with the sidecars, the splash and the shell, is what decides.

The same chain with no webview beside it (\`bench/results/supervisor.md\`, compiled sidecar, first launch) is all ready in ${ms(alone("all_ready_ms"))} ms: valkey ${ms(alone("valkey_ready_ms"))}, \`migrate\` ${ms(alone("migrate_ready_ms"))}, the api ${ms(alone("api_ready_ms"))}, the worker ${ms(alone("worker_ready_ms"))}. In the app, valkey's start to the worker's takes ${ms(sub(worker, valkey))} ms against ${ms(aloneChain)} there: the sidecars start while WebKit's web process parses and runs the main window's React bundle and draws the splash, all on 2 cores.

The CPU figures say the same: by the milestone Runbook's web process had used ~${ms(rbCpu.get("WebKitWebProcess"))} ms of CPU (the empty app's one: ~${ms(emCpu.get("WebKitWebProcess"))} ms), its shell ~${ms(rbCpu.get("shell"))} (~${ms(emCpu.get("shell"))}), all its sidecars together only ~${ms(sidecarCpu)}. The web process (the main window's JavaScript, layout and software-rendered painting, and the splash's small page beside it) is the largest cost. The sidecars use little CPU themselves; what lengthens their chain is starting one after another while sharing 2 cores with those web processes.

The last step (worker started → data on screen, ${ms(sub(rbTotal, worker))} ms) is the worker's start (~${ms(alone("worker_ready_ms"))} ms alone), the ready event, showing the window, and the page's two round trips (shell, then api).

${TRIED}

Against the aim (≤ ${AIM_RATIO}×; ${fmt(s.ratio_in_app, 2)}× in this run): the empty app only shows a page, Runbook must load a React page, start four processes in dependency order and round-trip to the api, with a splash window beside it. What could still win time: a lighter main page (its bundle parsed and run while the sidecars start is the deciding cost: load the panels that are not on screen lazily, or render the first view without React); a splash shown only when start-up is slow (a departure from DESIGN's step 1: its window and page still cost part of the ~145 ms measured without it, of which sharing the web process won back ~45).`;
}

async function main() {
  const args = reportArgs("startup", {
    root: true,
    extra: {
      ...APP_OPTIONS,
      runs: { type: "string", default: "10" },
      "profile-runs": { type: "string", default: "3" },
      smoke: { type: "boolean", default: false },
    },
  });
  const values = args.values;
  const { runbook, empty, display, sidecar } = appsFrom(values);
  const runs = Number(values.runs);
  const profileRuns = Number(values["profile-runs"]);
  const samples: Record<string, Reported[]> = { runbook: [], "empty-tauri": [] };

  console.log("warm-up: one launch of each (not counted)");
  for (const app of [runbook, empty]) await measure(app, display, args.work);

  for (let i = 0; i < runs; i++) {
    // Taking turns, and swapping who goes first, so a busy spell on the
    // machine does not land on one app only.
    for (const app of i % 2 === 0 ? [runbook, empty] : [empty, runbook]) {
      const result = await measure(app, display, args.work);
      samples[app.name]?.push(result);
      console.log(
        `  run ${i + 1}/${runs} ${app.name}: ${result.milestone} ${ms(result.in_app_ms)} ms in the app, ` +
          `${ms(result.from_spawn_ms)} ms from spawn`,
      );
      await sleep(500);
    }
  }

  const profiles: Record<string, Profile[]> = { runbook: [], "empty-tauri": [] };
  for (let i = 0; i < profileRuns; i++) {
    for (const app of [runbook, empty]) {
      const result = await profile(app, display, args.work);
      profiles[app.name]?.push(result);
      console.log(`  profiled launch ${i + 1}/${profileRuns} ${app.name}: ${ms(result.in_app_ms)} ms`);
    }
  }

  const rbSamples = samples.runbook ?? [];
  const emSamples = samples["empty-tauri"] ?? [];
  const data: StartupRecord = {
    machine: appsMachine(args.work, args.root, sidecar),
    smoke: values.smoke,
    runs,
    runbook: rbSamples,
    empty_tauri: emSamples,
    runbook_profiles: profiles.runbook ?? [],
    empty_tauri_profiles: profiles["empty-tauri"] ?? [],
    supervisor_alone: supervisorAlone(args.root),
    ui_main_chunk_kb: mainChunkKb(args.root),
    summary: summarise(rbSamples, emSamples),
  };
  writeReport(args, data, render(data));
}

if (import.meta.main) await main();
