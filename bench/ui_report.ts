// Turns the raw figures bench/ui.ts collected in Runbook's main window into
// ui.json (raw samples + summary + machine) and ui.md (tables, aims, reading).
//
//   bun bench/ui_report.ts --work <dir> --root <tree> --json <file> --md <file>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { desktopMachine, type Machine, machineLine } from "./lib/machine.ts";
import { recordedLine, reportArgs, writeReport } from "./lib/report.ts";
import { mean, percentile, type Stats, stats } from "./lib/stats.ts";
import { fmt, table } from "./lib/table.ts";

interface LatencyRun {
  intervalMs: number;
  samples: number[];
  answered?: (number | null)[];
  rendered?: (number | null)[];
  /** Printed → the first change of the screen after the line was in the DOM (X DAMAGE). */
  screen?: (number | null)[];
  /** In the DOM → that change of the screen. */
  painted?: (number | null)[];
  status: string | null;
}

interface FloodRun {
  lines: number;
  received: number;
  rendered: number;
  mismatches: number;
  extra: number;
  status: string | null;
  trimmed: boolean;
  submitToLastMs: number;
  firstToLastMs: number;
}

interface Raw {
  plan: {
    read: { calls: number; warmup: number };
    latency: { runs: number; lines: number; intervalsMs: number[] };
    frame?: { changes: number; intervalMs: number };
    flood: { runs: number; lines: number };
  };
  smoke: boolean;
  userAgent: string | null;
  timerResolutionMs: number;
  read: { samples: number[]; totalMs: number; calls: number };
  latency: LatencyRun[];
  /** A change of the page → the next change of the screen, with nothing else moving. */
  frame?: { intervalMs: number; samples: number[] };
  flood: FloodRun[];
}

type Latency = Stats & { p50: number | null; p99: number | null; mean: number | null };

function latencySummary(samples: readonly (number | null | undefined)[]): Latency | null {
  const st = stats(samples);
  if (st === null) return null;
  return { ...st, p50: percentile(samples, 50), p99: percentile(samples, 99), mean: mean(samples) };
}

function summarise(raw: Raw) {
  const read = raw.read;
  const intervals = [...new Set(raw.latency.map((run) => run.intervalMs))].sort((a, b) => a - b);
  const runsAt = (interval: number) => raw.latency.filter((run) => run.intervalMs === interval);
  const byInterval = <T>(f: (interval: number) => T) =>
    Object.fromEntries(intervals.map((interval) => [String(interval), f(interval)]));
  const flood = raw.flood;
  return {
    timer_resolution_ms: raw.timerResolutionMs,
    read: {
      ...(latencySummary(read.samples) as Latency),
      page_mean: read.totalMs / read.calls,
      calls_per_s: read.calls / (read.totalMs / 1000),
    },
    // By the interval between the job's lines, in ms; the first (the most frequent) is the headline.
    line_latency: byInterval((interval) => latencySummary(runsAt(interval).flatMap((run) => run.samples))),
    // Each line's latency in two parts, where the page's resource timing saw the answer that brought it.
    // Printed → on screen: the first change of the screen after the line was in the DOM.
    line_to_screen: byInterval((interval) =>
      latencySummary(runsAt(interval).flatMap((run) => run.screen ?? [])),
    ),
    // In the DOM → on screen, for each line, and for a bare change of the page (the window's frame alone).
    line_painted: byInterval((interval) =>
      latencySummary(runsAt(interval).flatMap((run) => run.painted ?? [])),
    ),
    page_frame: latencySummary(raw.frame?.samples ?? []),
    line_latency_parts: byInterval((interval) => ({
      answered: latencySummary(runsAt(interval).flatMap((run) => run.answered ?? [])),
      rendered: latencySummary(runsAt(interval).flatMap((run) => run.rendered ?? [])),
    })),
    flood: {
      lines: flood[0]?.lines ?? 0,
      runs: flood.length,
      // From Queue clicked to the last line on screen: the whole path, the job's start included.
      lines_per_s: stats(flood.map((run) => run.lines / (run.submitToLastMs / 1000))),
      // From the first line on screen to the last (none when one answer carried them all).
      lines_per_s_from_first_line: stats(
        flood.filter((run) => run.firstToLastMs > 0).map((run) => run.lines / (run.firstToLastMs / 1000)),
      ),
      first_to_last_ms: stats(flood.map((run) => run.firstToLastMs)),
      dropped: flood.reduce((sum, run) => sum + run.lines - run.received + run.mismatches, 0),
      extra: flood.reduce((sum, run) => sum + run.extra, 0),
      all_succeeded: flood.every((run) => run.status === "succeeded"),
      trimmed: flood.some((run) => run.trimmed),
      trimmed_runs: flood.filter((run) => run.trimmed).length,
    },
  };
}

type Summary = ReturnType<typeof summarise>;

const LATENCY_HEAD = ["measurement", "n", "p50", "p90", "p99", "min", "max", "mean"];
const latencyRow = (label: string, st: Latency | null | undefined) => [
  label,
  String(st?.n ?? 0),
  st?.p50,
  st?.p90,
  st?.p99,
  st?.min,
  st?.max,
  st?.mean,
];
const yes = (ok: boolean) => (ok ? "yes" : "**no**");

function render(data: { machine: Machine; smoke: boolean; plan: Raw["plan"]; summary: Summary }): string {
  const m = data.machine;
  const s = data.summary;
  const plan = data.plan;
  const { read, flood } = s;
  const intervals = Object.keys(s.line_latency);
  const latency = (interval: string | undefined) =>
    interval === undefined ? null : s.line_latency[interval];
  const parts = (interval: string) => s.line_latency_parts[interval];
  const chatty = latency(intervals[0]);
  const quiet = latency(intervals.at(-1));
  const out: string[] = [];
  const add = (...lines: string[]) => out.push(...lines);

  add("# UI benchmark: UI ↔ api, and job output → UI (in the real webview)", "");
  // A smoke run says so first: its figures are one tiny repetition each.
  if (data.smoke)
    add(
      "**Smoke run** (a few repetitions of each): checks the benchmark works; the figures mean nothing.",
      "",
    );
  add(
    recordedLine(m, "bash bench/ui.sh"),
    "",
    machineLine(m),
    "",
    "Runbook's release build (`--features tauri/custom-protocol`, its compiled sidecar) on a private Xvfb display, " +
      "driven through tauri-driver with WebdriverIO; every loop runs in the main window's page and WebDriver only " +
      "starts it and collects its figures. Milliseconds; p50/p90/p99 nearest-rank. WebKit's `performance.now()` " +
      `ticks in ${fmt(s.timer_resolution_ms, 3)} ms steps here, so single samples are at that grain; means are finer.`,
    "",
    "- **Small authenticated read**: `fetch` of `GET /jobs?limit=1` with the launch token from the page, " +
      `${plan.read.calls} one after another after ${plan.read.warmup} warm-up requests (the UI's generated client ` +
      "sends the same request).",
    `- **Line → UI latency**: ${plan.latency.runs} job(s) per interval queued through the window's form, each ` +
      `printing ${plan.latency.lines} lines ${intervals.join(" or ")} ms apart, each line carrying the wall-clock ` +
      "time it was printed (Bun's wall clock in µs, `performance.timeOrigin + performance.now()`, each line a synchronous write). A MutationObserver on the job's output " +
      "view notes the wall-clock time each line is in the DOM whole (the last change of its text: a line still " +
      "being written shows its start first; the observer runs before the next paint). The path: the job's pipe → " +
      "the worker (at once, batched only under load) → a Valkey stream → the api's long poll → the page's `fetch` " +
      "→ React. **On screen** is the first change of the screen after the line is in the DOM, as the X server " +
      "reported it (the DAMAGE extension on Xvfb's root window; `bench/lib/screen.ts`): the frame that shows it, " +
      "or at worst one frame early, when a frame already under way lands first.",
    `- **The window's frame**: a short text in a corner of the same page changed ${plan.frame?.changes ?? 0} ` +
      `times, ${plan.frame?.intervalMs ?? 0} ms apart, with nothing else moving; the time from each change to the ` +
      "next change of the screen, measured the same way. It is what any change of the page waits before it is " +
      "seen: the floor under each line's on-screen figure.",
    `- **Sustained lines/s**: ${plan.flood.runs} run(s) of \`seq 1 ${fmt(plan.flood.lines, 0)}\` queued the same ` +
      "way; every line is checked against what `seq` prints (none missing, none repeated, in order; see Flood " +
      "below for how, the view being windowed). The rate is lines ÷ the time from clicking Queue to the view " +
      "counting the last line (the job's start included, so it understates the stream's own rate).",
    "",
  );

  const lost = flood.dropped + flood.extra;
  add(
    "## Aims",
    "",
    "The issue (#12) asks a line printed 20 ms after the last to reach the screen in under 10 ms (p50), from " +
      '"25 ms today", and that no line be dropped; it sets no number for the rest. Its 25 ms is this ' +
      "benchmark's line → DOM figure (23.5 ms in the record of 2026-11-22, before the screen was measured), so " +
      "the aim is judged on that figure. The on-screen figure adds the window's own frame, which no page can " +
      "avoid; it is shown beside, with that frame alone.",
    "",
    table(
      ["figure", "value", "met"],
      [
        [
          "small authenticated read from the webview, p50 / p99 (ms)",
          `${fmt(read.p50)} / ${fmt(read.p99)}`,
          "–",
        ],
        ...intervals.map((interval) => [
          `job stdout line → UI, lines ${interval} ms apart, p50 / p99 (ms)`,
          `${fmt(latency(interval)?.p50)} / ${fmt(latency(interval)?.p99)}`,
          interval === intervals[0] ? yes((latency(interval)?.p50 ?? Number.POSITIVE_INFINITY) < 10) : "–",
        ]),
        ...intervals.map((interval) => {
          const shown = s.line_to_screen[interval];
          return [
            `job stdout line → on screen, lines ${interval} ms apart, p50 / p99 (ms)`,
            `${fmt(shown?.p50)} / ${fmt(shown?.p99)}`,
            "–",
          ];
        }),
        [
          "any change of the page → on screen (the window's frame), p50 / p99 (ms)",
          `${fmt(s.page_frame?.p50)} / ${fmt(s.page_frame?.p99)}`,
          "–",
        ],
        ["sustained lines/s to the UI (median of runs)", fmt(flood.lines_per_s?.median, 0), "–"],
        [
          `lines dropped, repeated or out of order in ${flood.runs} × ${fmt(flood.lines, 0)}`,
          String(lost),
          yes(lost === 0 && flood.all_succeeded),
        ],
        [
          "flood runs that hit the output cap (what it dropped counts as lost)",
          String(flood.trimmed_runs),
          yes(!flood.trimmed),
        ],
      ],
      ["l", "r", "l"],
    ),
    "",
  );

  add(
    "## Figures",
    "",
    table(LATENCY_HEAD, [
      latencyRow("`GET /jobs?limit=1` from the page", read),
      ...intervals.flatMap((interval) => [
        latencyRow(`job stdout line → in the window's DOM, lines ${interval} ms apart`, latency(interval)),
        latencyRow("… of which printed → its long poll answered in the page", parts(interval)?.answered),
        latencyRow("… of which answered → in the DOM (React)", parts(interval)?.rendered),
        latencyRow(
          `job stdout line → on screen (the next change of the screen), lines ${interval} ms apart`,
          s.line_to_screen[interval],
        ),
        latencyRow("… of which in the DOM → on screen", s.line_painted[interval]),
      ]),
      latencyRow(
        `a change of the page → on screen, ${plan.frame?.intervalMs ?? 0} ms apart (the window's frame alone)`,
        s.page_frame,
      ),
    ]),
    "",
    table(
      ["flood", "runs", "median", "p90", "min", "max"],
      (
        [
          ["lines/s, Queue clicked → last line counted", flood.lines_per_s, 0],
          ["lines/s, first line on screen → last counted", flood.lines_per_s_from_first_line, 0],
          ["ms, first line on screen → last counted", flood.first_to_last_ms, undefined],
        ] as const
      ).map(([label, st, digits]) => [
        label,
        String(st?.n ?? 0),
        ...[st?.median, st?.p90, st?.min, st?.max].map((x) => fmt(x, digits)),
      ]),
    ),
    "",
  );

  const load = m.load_average_before?.[0] ?? null;
  const split = intervals
    .map(
      (interval) =>
        `lines ${interval} ms apart, ${fmt(parts(interval)?.answered?.p50)} ms from the print to the long poll's ` +
        `answer in the page and ${fmt(parts(interval)?.rendered?.p50)} ms from there to the line in the DOM`,
    )
    .join("; ");
  add(
    "## Where the time goes",
    "",
    `**Reads.** A small authenticated read from the page takes ${fmt(read.mean)} ms on average ` +
      `(${fmt(read.calls_per_s, 0)} requests/s one after another): the webview's network process, loopback HTTP, ` +
      "the api's guard, router and a 2-row SQLite query (about 27 µs of server CPU, see `api.md`). Almost all of " +
      "it is WebKit's fetch path between its web and network processes, not the api.",
    "",
    `**Line latency.** Lines ${intervals[0]} ms apart: p50 ${fmt(chatty?.p50)} ms (min ${fmt(chatty?.min)}); ` +
      `lines ${intervals.at(-1)} ms apart: p50 ${fmt(quiet?.p50)} ms (min ${fmt(quiet?.min)}). The path a line ` +
      "takes: the job's pipe; the worker, which writes what it read as soon as the pipe has nothing more ready (a " +
      "read that does not complete within one turn of its event loop) and batches only under load (past 8 writes " +
      "in 20 ms, a batch every 20 ms or 16 KiB, so a chatty job costs a few Valkey entries per 20 ms, not one per " +
      "line); one `XADD`; the api's `XREAD BLOCK`, which wakes at once and answers the page's long poll; the page's " +
      "`fetch`, React's render, and the next long poll. The two parts below each line's figure split it where the " +
      "page's resource timing saw the long poll's answer all in (`responseEnd`, the last answer in before the line " +
      "was in the DOM): before it, the job, the worker, Valkey, the api and WebKit's network process; after it, the " +
      "page's JavaScript and React. `bun bench/output_stages.ts` splits the first part further, on the same " +
      "processes without a webview (the worker's `XADD` apart from the api's answer).",
    "",
    `Medians: ${split}.`,
    "",
    `**On screen.** A line in the DOM is on screen ${fmt(s.line_painted[intervals[0] ?? ""]?.p50)} ms later ` +
      `(p50, lines ${intervals[0]} ms apart), so ${fmt(s.line_to_screen[intervals[0] ?? ""]?.p50)} ms after it ` +
      "is printed. A change of this page alone, a few characters in a corner, is on screen in " +
      `${fmt(s.page_frame?.p50)} ms (p50; min ${fmt(s.page_frame?.min)}, max ${fmt(s.page_frame?.max)}): the ` +
      "window draws at most once per 60 Hz frame, so a change may wait up to 16.7 ms for the next one. A line " +
      "costs more than that floor because following the end scrolls the view, and the part of it in view is " +
      "painted again (WebKit draws without its compositor here: see `scroll.md`).",
    "",
    `The load average was ${fmt(load)} on ${m.cores} cores when this started; while it is above the number of ` +
      "cores, every process on the path waits for a core at each step, so the figures are then upper bounds and " +
      "their tails are the machine's.",
    "",
    `**Flood.** ${fmt(flood.lines_per_s?.median, 0)} lines/s from clicking Queue to the view counting the last ` +
      "line, every one of them checked. The worker reads the pipe in ≤ 16 KiB chunks and writes each before " +
      "reading more, so a faster job is slowed by its pipe, not buffered without bound; the page asks for up to " +
      "1000 chunks per long poll. The view is windowed: it counts the run's lines (`data-lines`) and renders those " +
      "in view, so most of a flood scrolls past unrendered; every line the view rendered is checked against `seq` " +
      "at its number, its count must be exactly the lines printed, and the whole output the view followed is read " +
      "again through the same endpoint and checked line by line.",
    "",
  );
  return out.join("\n");
}

const args = reportArgs("ui_report", { root: true });
const raw = JSON.parse(readFileSync(join(args.work, "raw.json"), "utf8")) as Raw;
const data = {
  machine: desktopMachine(args.work, args.root, { user_agent: raw.userAgent }),
  smoke: raw.smoke,
  plan: raw.plan,
  summary: summarise(raw),
  raw,
};
writeReport(args, data, render(data));
