/**
 * Memory: proportional set size (Pss, /proc/<pid>/smaps_rollup: a page shared
 * by k processes counts 1/k to each, so WebKit's shared pages are not counted
 * twice) summed over every process of the app — the shell, WebKit's web and
 * network processes, every sidecar — idle after start-up, for Runbook and for
 * the empty Tauri app. Release builds on an X display, taking turns.
 * Writes memory.json (every sample, per process) and memory.md. Run by memory.sh.
 */
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
import { descendants, pssByMapping, smapsRollup, webRendering } from "./lib/proc.ts";
import { reportArgs, writeReport } from "./lib/report.ts";
import { median, type Stats, stats } from "./lib/stats.ts";
import { fmt, STATS_HEAD, statsRow, table } from "./lib/table.ts";

const AIM_ABOVE_BASELINE_MIB = 60;
const KIND_ORDER = [
  "shell",
  "WebKitWebProcess",
  "WebKitNetworkProcess",
  "valkey",
  "sidecar api",
  "sidecar worker",
];
const KEYS = ["Pss", "Pss_Anon", "Pss_File", "Pss_Shmem", "Rss"] as const;
type Key = (typeof KEYS)[number];

interface ProcessSample extends Record<Key, number> {
  pid: number;
  role: string;
  top_mappings_kib?: [string, number][];
}

interface Sample {
  pss_kib: number;
  processes: ProcessSample[];
}

interface Run {
  startup: Reported;
  /** How its web process drew (see `webRendering`). */
  rendering: "direct" | "composited";
  samples: Sample[];
  pss_kib: number;
}

type RoleFigures = Record<Key, number> & { count: number };

function sampleTree(root: number): Sample {
  const processes: ProcessSample[] = [];
  for (const pid of [root, ...descendants(root)]) {
    const mem = smapsRollup(pid);
    if (mem === null) continue;
    const figures = Object.fromEntries(KEYS.filter((k) => k in mem).map((k) => [k, mem[k]])) as Record<
      Key,
      number
    >;
    processes.push({ pid, role: role(pid), ...figures });
  }
  return { pss_kib: processes.reduce((a, p) => a + p.Pss, 0), processes };
}

async function measure(app: App, display: string, work: string, idleS: number, count: number): Promise<Run> {
  const run = launch(app, display, work);
  const taken: Sample[] = [];
  let started: Reported;
  let rendering: Run["rendering"];
  try {
    started = await waitReported(run);
    rendering = webRendering(run.pid);
    await sleep(idleS * 1000);
    for (let i = 0; i < count; i++) {
      if (i > 0) await sleep(1000);
      taken.push(sampleTree(run.pid));
    }
    // Where each process's memory is, by mapping, once per launch.
    for (const p of taken.at(-1)?.processes ?? []) p.top_mappings_kib = pssByMapping(p.pid);
  } finally {
    await stopAndNote(run);
  }
  return {
    startup: started,
    rendering,
    samples: taken,
    pss_kib: median(taken.map((s) => s.pss_kib)) as number,
  };
}

/** The run's last sample, summed by role. */
function byRole(run: Run): Map<string, RoleFigures> {
  const out = new Map<string, RoleFigures>();
  for (const p of run.samples.at(-1)?.processes ?? []) {
    const entry = out.get(p.role) ?? { count: 0, Pss: 0, Pss_Anon: 0, Pss_File: 0, Pss_Shmem: 0, Rss: 0 };
    out.set(p.role, entry);
    entry.count += 1;
    for (const key of KEYS) entry[key] += p[key] ?? 0;
  }
  return out;
}

const mib = (kib: number) => kib / 1024;
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Per mapping name, the median over runs of its Pss in `name`'s process (MiB). */
function mappingMedians(runs: Run[], name: string): Record<string, number> {
  const perRun: Map<string, number>[] = [];
  for (const run of runs) {
    const p = run.samples.at(-1)?.processes.find((x) => x.role === name && x.top_mappings_kib !== undefined);
    if (p?.top_mappings_kib) perRun.push(new Map(p.top_mappings_kib));
  }
  const names = new Set(perRun.flatMap((r) => [...r.keys()]));
  return Object.fromEntries(
    [...names].map((n) => [n, round1(mib(median(perRun.map((r) => r.get(n) ?? 0)) as number))]),
  );
}

const kindRank = (name: string) => (KIND_ORDER.includes(name) ? KIND_ORDER.indexOf(name) : KIND_ORDER.length);

/** Per role, the median over runs of its Pss (and the split), in MiB. */
function roleMedians(runs: Run[]): Record<string, RoleFigures> {
  const perRun = runs.map(byRole);
  const roles = [...new Set(perRun.flatMap((r) => [...r.keys()]))].sort(
    (a, b) => kindRank(a) - kindRank(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const out: Record<string, RoleFigures> = {};
  for (const name of roles) {
    const present = perRun.flatMap((r) => r.get(name) ?? []);
    const figures = { count: Math.max(...present.map((e) => e.count)) } as RoleFigures;
    for (const key of KEYS) figures[key] = round1(mib(median(present.map((e) => e[key])) as number));
    out[name] = figures;
  }
  return out;
}

export function summarise(runbook: Run[], empty: Run[]) {
  const rb = stats(runbook.map((r) => mib(r.pss_kib))) as Stats;
  const em = stats(empty.map((r) => mib(r.pss_kib))) as Stats;
  const above = rb.median - em.median;
  return {
    runbook_pss_mib: rb,
    empty_tauri_pss_mib: em,
    above_baseline_mib: round1(above),
    aim_above_baseline_mib: AIM_ABOVE_BASELINE_MIB,
    aim_met: above <= AIM_ABOVE_BASELINE_MIB,
    rendering: { runbook: runbook[0]?.rendering, empty_tauri: empty[0]?.rendering },
    runbook_by_role: roleMedians(runbook),
    empty_tauri_by_role: roleMedians(empty),
    mappings_mib: Object.fromEntries(
      ["WebKitWebProcess", "shell"].map((name) => [
        name,
        { runbook: mappingMedians(runbook, name), empty_tauri: mappingMedians(empty, name) },
      ]),
    ) as Record<string, { runbook: Record<string, number>; empty_tauri: Record<string, number> }>,
  };
}

export type MemoryRecord = {
  machine: Machine;
  smoke: boolean;
  idle_s: number;
  samples_per_run: number;
  runbook: Run[];
  empty_tauri: Run[];
  summary: ReturnType<typeof summarise>;
};

const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
const mib1 = (x: number | null | undefined) => fmt(x, 1);

/** What each mapping table says about its process. */
const MAPPING_INTRO: Record<string, string> = {
  WebKitWebProcess:
    "Inside the WebKitWebProcess (its largest mappings by Pss, median MiB; *anonymous* is the JavaScript " +
    "and WebKit heaps, the rest are files, mostly libraries):",
  shell: "Inside the shell (its largest mappings by Pss, median MiB):",
};

function mappingTable(
  name: string,
  maps: { runbook: Record<string, number>; empty_tauri: Record<string, number> },
) {
  const rb = maps.runbook;
  const em = maps.empty_tauri;
  const names = [...new Set([...Object.keys(rb), ...Object.keys(em)])]
    .sort((a, b) => Math.max(rb[b] ?? 0, em[b] ?? 0) - Math.max(rb[a] ?? 0, em[a] ?? 0))
    .slice(0, 10);
  return [
    MAPPING_INTRO[name] ?? `Inside the ${name}:`,
    "",
    table(
      ["mapping", "Runbook", "empty Tauri", "difference"],
      names.map((n) => [`\`${n}\``, mib1(rb[n] ?? 0), mib1(em[n] ?? 0), signed((rb[n] ?? 0) - (em[n] ?? 0))]),
    ),
    "",
  ];
}

export function render(data: MemoryRecord): string {
  const s = data.summary;
  const m = data.machine;
  const roleRows = (app: string, roles: Record<string, RoleFigures>) =>
    Object.entries(roles).map(([name, e]) => [app, name, String(e.count), ...KEYS.map((k) => mib1(e[k]))]);
  return [
    ...reportOpening(
      "Memory benchmark",
      "bash bench/memory.sh",
      data.smoke ? "one launch of each, short idle" : null,
      m,
    ),
    "",
    "Release builds on a private Xvfb display, one app at a time, taking turns. Each launch: wait for " +
      `the app's own start-up report (see \`startup.md\`), stay idle ${data.idle_s.toFixed(0)} s, then read ` +
      `\`/proc/<pid>/smaps_rollup\` of the shell and every descendant ${data.samples_per_run} times, 1 s ` +
      "apart; the launch's figure is the median of those sums. Pss counts a page shared by k processes " +
      "as 1/k to each, so shared libraries and WebKit's shared memory are counted once across the " +
      "tree (but a page shared with a process outside the app, e.g. another app using the same " +
      "libraries, is counted only in part). MiB (2^20 bytes); p90 nearest-rank.",
    "",
    "## Aims",
    "",
    table(
      ["aim", "Runbook (median)", "empty Tauri (median)", "above", "met"],
      [
        [
          `Pss of every process, idle after start-up, ≤ empty Tauri + ${AIM_ABOVE_BASELINE_MIB} MiB`,
          `${mib1(s.runbook_pss_mib.median)} MiB`,
          `${mib1(s.empty_tauri_pss_mib.median)} MiB`,
          `${mib1(s.above_baseline_mib)} MiB`,
          s.aim_met ? "yes" : "**no**",
        ],
      ],
      ["l", "r", "r", "r", "l"],
    ),
    "",
    "## Figures",
    "",
    table(
      ["total Pss (MiB)", ...STATS_HEAD.slice(1)],
      [statsRow("Runbook", s.runbook_pss_mib, mib1), statsRow("empty Tauri", s.empty_tauri_pss_mib, mib1)],
    ),
    "",
    "## Where the memory goes",
    "",
    "Per process kind, median over the launches of the last sample (MiB). *Anon* is the process's own " +
      "heap and stacks, *file* its share of mapped files (executable, libraries), *shmem* its share " +
      "of shared memory (WebKit's and the X server's buffers). Rss, which counts every shared page " +
      "in full, is there to show how much sharing saves.",
    "",
    table(
      ["app", "process", "count", "Pss", "Pss anon", "Pss file", "Pss shmem", "Rss"],
      [...roleRows("Runbook", s.runbook_by_role), ...roleRows("empty Tauri", s.empty_tauri_by_role)],
      ["l", "l", "r", "r", "r", "r", "r", "r"],
    ),
    "",
    ...Object.entries(s.mappings_mib).flatMap(([name, maps]) => mappingTable(name, maps)),
    reading(s),
    "",
  ].join("\n");
}

/** What the reading says when the two web processes draw differently. */
function renderingNote(rendering: MemoryRecord["summary"]["rendering"]): string {
  if (rendering.runbook === rendering.empty_tauri) return "";
  const how = (r: string | undefined) =>
    r === "direct" ? "without WebKitGTK's compositor" : "through WebKitGTK's compositor";
  return (
    ` Here the two draw differently: Runbook's ${how(rendering.runbook)}, the empty app's ` +
    `${how(rendering.empty_tauri)} (the supervisor plugin's \`rendering\` turns the compositor off on a machine ` +
    "with no GPU it can open; the empty app keeps Tauri's default). Compositing without a GPU runs Mesa's software " +
    "GL in the web process (`libLLVM`, `swrast_dri.so` and their buffers above), so that share is in one figure " +
    "and not the other."
  );
}

/** The prose under "Where the memory goes": one template, the figures filled in. */
function reading(s: MemoryRecord["summary"]): string {
  const rb = s.runbook_by_role;
  const em = s.empty_tauri_by_role;
  const pss = (roles: Record<string, RoleFigures>, name: string, key: Key = "Pss") => roles[name]?.[key] ?? 0;
  const sidecarRoles = Object.keys(rb).filter((k) => k.startsWith("sidecar") || k === "valkey");
  const sidecars = sidecarRoles.reduce((a, k) => a + pss(rb, k), 0);
  const parts = sidecarRoles.map((k) => `${k.replace("sidecar ", "")} ${mib1(pss(rb, k))}`).join(", ");
  const web = pss(rb, "WebKitWebProcess") - pss(em, "WebKitWebProcess");
  const webAnon = pss(rb, "WebKitWebProcess", "Pss_Anon") - pss(em, "WebKitWebProcess", "Pss_Anon");
  const shell = pss(rb, "shell") - pss(em, "shell");
  const network = pss(rb, "WebKitNetworkProcess") - pss(em, "WebKitNetworkProcess");
  const api = rb["sidecar api"];
  const worker = rb["sidecar worker"];
  return `Runbook is ${mib1(s.above_baseline_mib)} MiB above the empty app:

- its sidecars, which the empty app does not have: ${mib1(sidecars)} MiB (${parts});
- WebKit's web process: ${signed(web)} MiB (${signed(webAnon)} anonymous: the JavaScript heap and DOM of a React page with the jobs view and the closed diagnostics panel (templates and history load on first use), against one paragraph; the rest is more of WebKit's and JavaScriptCore's libraries paged in).${renderingNote(s.rendering)} On Linux the splash is drawn by this process too (a faster start, see \`startup.md\`), and the process keeps part of what the closed splash page used: 6 to 17 MiB more at idle than with a web process of its own, in launches by hand on 2026-11-22 (the two builds taking turns);
- the shell: ${signed(shell)} MiB (the supervisor, the back-channel server, log ring buffers, a larger executable); WebKit's network process: ${signed(network)} MiB.

Each Bun sidecar is small for a JavaScript runtime: the api ${mib1(api?.Pss)} MiB (${mib1(api?.Pss_Anon)} anonymous), the worker ${mib1(worker?.Pss)} MiB (${mib1(worker?.Pss_Anon)} anonymous). They run the same compiled executable, so its file pages are shared and Pss splits them between the two; what each adds on its own is mostly its anonymous memory (JavaScriptCore's heaps and JIT code).

Against the aim (≤ ${AIM_ABOVE_BASELINE_MIB} MiB above; ${mib1(s.above_baseline_mib)} MiB in this run), the sidecars alone take ${mib1(sidecars)} MiB and the web process adds ${signed(web)} MiB. What would lower it (not measured here): run the worker's role inside the api process (one Bun runtime instead of two saves at least the worker's own anonymous memory and the file pages only it touches; DESIGN keeps them apart), and keep the UI's JavaScript heap down (the templates and history views already load only when opened). Tried and not kept: Bun's smaller-heap mode, compiled into the sidecar (\`bun build --compile --compile-exec-argv=--smol\`), saved nothing at idle: the api and worker together 62.5 MiB against 61.2 (3 launches each, by hand, 2026-11-22).`;
}

async function main() {
  const args = reportArgs("memory", {
    root: true,
    extra: {
      ...APP_OPTIONS,
      runs: { type: "string", default: "5" },
      idle: { type: "string", default: "5" },
      samples: { type: "string", default: "3" },
      smoke: { type: "boolean", default: false },
    },
  });
  const values = args.values;
  const { runbook, empty, display, sidecar } = appsFrom(values);
  const runs = Number(values.runs);
  const idleS = Number(values.idle);
  const count = Number(values.samples);
  const results: Record<string, Run[]> = { runbook: [], "empty-tauri": [] };
  for (let i = 0; i < runs; i++) {
    for (const app of i % 2 === 0 ? [runbook, empty] : [empty, runbook]) {
      const result = await measure(app, display, args.work, idleS, count);
      results[app.name]?.push(result);
      const roles = [...byRole(result)].map(([name, v]) => `${name} ${(v.Pss / 1024).toFixed(1)}`).join(", ");
      console.log(`  run ${i + 1}/${runs} ${app.name}: ${(result.pss_kib / 1024).toFixed(1)} MiB (${roles})`);
    }
  }

  const rbRuns = results.runbook ?? [];
  const emRuns = results["empty-tauri"] ?? [];
  const data: MemoryRecord = {
    machine: appsMachine(args.work, args.root, sidecar),
    smoke: values.smoke,
    idle_s: idleS,
    samples_per_run: count,
    runbook: rbRuns,
    empty_tauri: emRuns,
    summary: summarise(rbRuns, emRuns),
  };
  writeReport(args, data, render(data));
}

if (import.meta.main) await main();
