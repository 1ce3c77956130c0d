// Scrolling a 1,000,000-line run in Runbook's real main window (release
// build, through tauri-driver under Xvfb; bench/scroll.sh): frame times from
// the screen's changes as the X server reports them (DAMAGE), and the page's
// requestAnimationFrame deltas, during a scroll sweep (a wheel-like 40 px a
// frame, then the scrollbar dragged through the whole run) and jumps (End,
// Start, lines picked at random), and the web process's memory
// (WebKitWebProcess Pss from /proc/<pid>/smaps_rollup) before and after.
// Writes --json and --md (the machine and versions from --work and --root).
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "@convoy/testing";
import { outputState, queueCommand, waitForOutput } from "../tests/e2e/support/output.mjs";
import { driveApp } from "./lib/driven.ts";
import { saveLoadAverage } from "./lib/load.ts";
import { desktopMachine, type Machine, machineLine } from "./lib/machine.ts";
import { cpuTimes, smapsRollup, webProcesses, webRendering } from "./lib/proc.ts";
import { recordedLine, reportArgs, writeReport } from "./lib/report.ts";
import { recordScreenUpdates, stepToScreen } from "./lib/screen.ts";
import { percentile } from "./lib/stats.ts";
import { fmt, table } from "./lib/table.ts";

const FRAME_AIM_MS = 50;
/** How long after a phase's last step its change may still reach the screen (and counts). */
const SCREEN_GRACE_MS = 500;

/** Pss of every WebKitWebProcess under the app, in KiB. */
function webProcessPss(root: number): { pid: number; pssKiB: number }[] {
  return webProcesses(root).map((pid) => ({ pid, pssKiB: smapsRollup(pid)?.Pss ?? 0 }));
}

/**
 * Runs in the page: one phase of scrolling, `steps` frames, each frame's
 * time from rAF deltas. One script per phase: each stays well within the
 * WebDriver request's timeout on a busy machine.
 */
async function phase(
  kind: "idle" | "wheel" | "drag" | "jumps" | "bare-wheel" | "bare-drag",
  steps: number,
  lineHeight: number,
) {
  // The floor: a bare scroller of 61 divs moved by plain script, no React, the same size as the view.
  let bare: HTMLElement | null = null;
  if (kind.startsWith("bare-")) {
    const shown = document.querySelector('[data-testid="job-output"]') as HTMLElement;
    const box = shown.getBoundingClientRect();
    bare = document.createElement("div");
    bare.style.cssText = `position:fixed;left:${box.left}px;top:${box.top}px;width:${box.width}px;height:${box.height}px;overflow:auto;contain:strict;background:#fff;font:13px monospace;z-index:10`;
    const content = document.createElement("div");
    content.style.cssText = `position:relative;height:${1_000_000 * lineHeight}px`;
    const rows: HTMLElement[] = [];
    for (let k = 0; k < 61; k++) {
      const row = document.createElement("div");
      row.style.cssText = `position:absolute;left:0;height:${lineHeight}px;line-height:${lineHeight}px;white-space:pre`;
      content.append(row);
      rows.push(row);
    }
    bare.append(content);
    document.body.append(bare);
    const element = bare;
    const place = () => {
      const first = Math.max(0, Math.floor(element.scrollTop / lineHeight) - 20);
      rows.forEach((row, k) => {
        row.style.top = `${(first + k) * lineHeight}px`;
        row.textContent = String(first + k + 1);
      });
    };
    element.addEventListener("scroll", place);
    place();
  }
  const view = bare ?? (document.querySelector('[data-testid="job-output"]') as HTMLElement);
  const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));
  const max = () => view.scrollHeight - view.clientHeight;
  let seed = 7;
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const move = (i: number) => {
    if (kind === "idle") return;
    if (kind === "wheel" || kind === "bare-wheel") view.scrollTop += 40;
    else if (kind === "drag" || kind === "bare-drag") view.scrollTop = (max() * (i + 1)) / steps;
    else if (i % 3 === 0) {
      const k = i / 3;
      if (k === 0) (document.querySelector('[data-testid="output-end"]') as HTMLElement).click();
      else if (k === 1) (document.querySelector('[data-testid="output-start"]') as HTMLElement).click();
      else view.scrollTop = Math.floor(random() * (max() / lineHeight)) * lineHeight;
    }
  };
  if (kind === "wheel" || kind === "bare-wheel") view.scrollTop = 0;
  // Script time a scroll costs: from its event to a task queued behind the view's render (React
  // schedules that render as a task from its own listener, which runs first).
  const script: number[] = [];
  const channel = new MessageChannel();
  let scrolledAt = 0;
  channel.port1.onmessage = () => script.push(performance.now() - scrolledAt);
  const onScroll = () => {
    scrolledAt = performance.now();
    channel.port2.postMessage(0);
  };
  view.addEventListener("scroll", onScroll);
  const deltas: number[] = [];
  let nodes = 0;
  // No caret blinking in a focused field: the screen changes only with the view.
  (document.activeElement as HTMLElement | null)?.blur();
  let last = await frame();
  const clock = () => performance.timeOrigin + performance.now();
  const from = clock();
  // When each step changed the scroll position (a jump to where the view is already changes nothing).
  const moves: number[] = [];
  for (let i = 0; i < steps; i++) {
    const before = view.scrollTop;
    move(i);
    if (view.scrollTop !== before) moves.push(clock());
    const now = await frame();
    deltas.push(now - last);
    last = now;
    if (!bare) nodes = Math.max(nodes, view.querySelectorAll(".output-line").length);
  }
  const to = clock();
  view.removeEventListener("scroll", onScroll);
  channel.port1.close();
  bare?.remove();
  // As text: WebKit's driver fails to return some plain results ("Could not parse script result").
  return JSON.stringify({ deltas, nodes, script, from, to, moves });
}

const PHASES = [
  // The machine's own frame rate, nothing moving: what the others compare with.
  { kind: "idle", steps: 120, name: "idle (nothing scrolls, 120 frames)" },
  { kind: "wheel", steps: 300, name: "wheel (40 px a frame, 300 frames)" },
  { kind: "drag", steps: 150, name: "scrollbar drag (the whole run in 150 frames)" },
  { kind: "jumps", steps: 150, name: "jumps (End, Start, 48 random lines; 3 frames each)" },
] as const;
// The same wheel and drag on a bare scroller of 61 divs (no React, no fetches): this machine's floor.
const FLOOR = [
  { kind: "bare-wheel", steps: 300, name: "floor: bare scroller, wheel" },
  { kind: "bare-drag", steps: 150, name: "floor: bare scroller, drag" },
] as const;
/** Sweeps of the three phases: the first warms the view's caches and WebKit's heap; the rest show where it settles. */
const SWEEPS = 4;
/** After a sweep, the wait before memory is read again (WebKit's GC is not to be forced from script). */
const SETTLE_MS = 15_000;
/** How often memory is read while it settles. */
const SETTLE_SAMPLE_MS = 1000;

/** After the run is shown, the machine counts as quiet once it is this busy or less over a window. */
const QUIET_BUSY = 0.15;
const QUIET_WINDOW_MS = 2000;
const QUIET_MAX_MS = 180_000;

/**
 * Waits until the machine is quiet (the api's work on a run just written, say),
 * at most QUIET_MAX_MS; how long it waited, ms.
 */
async function untilQuiet(): Promise<number> {
  const start = Date.now();
  let last = cpuTimes();
  while (Date.now() - start < QUIET_MAX_MS) {
    await sleep(QUIET_WINDOW_MS);
    const now = cpuTimes();
    const busy = (now.busy - last.busy) / Math.max(1, now.total - last.total);
    last = now;
    if (busy <= QUIET_BUSY) break;
  }
  return Date.now() - start;
}

/** Nearest rank; 0 with no samples (a phase whose page never scrolled records no script time). */
const at = (values: readonly number[], p: number) => percentile(values, p) ?? 0;

/** A phase's frames, ms. */
interface Frames {
  frames: number;
  p50: number;
  p99: number;
  max: number;
  over50: number;
}
/**
 * The page's requestAnimationFrame deltas; `screen`: each step that moved the
 * view, until the screen changed (the X server's DAMAGE); `screenChanges`:
 * how often the screen changed over the phase.
 */
interface Phase extends Frames {
  scriptP50: number;
  name: string;
  screen: Frames;
  screenChanges: number;
}

function frames(deltas: readonly number[]): Frames {
  return {
    frames: deltas.length,
    p50: at(deltas, 50),
    p99: at(deltas, 99),
    max: at(deltas, 100),
    over50: deltas.filter((d) => d > FRAME_AIM_MS).length,
  };
}
interface Sweep {
  /** Pss right after the sweep, KiB. */
  after: number;
  /** The lowest of `after` and the Pss read each second over the SETTLE_MS after it, KiB. */
  settled: number;
}
interface Measured {
  /** How the web process drew: "direct" without WebKitGTK's compositor. */
  rendering: "direct" | "composited";
  shownMs: number;
  /** From the run shown to a quiet machine, when the phases began. */
  quietMs: number;
  phases: Phase[];
  lineNodes: number;
  memoryKiB: { start: number; before: number; after: number; sweeps: Sweep[] };
}
/** What scroll.json holds (and `render` reads). */
export interface ScrollRecord extends Measured {
  machine: Machine;
  recordedAt: string;
  lines: number;
  smoke: boolean;
  loadavg: string | null;
}

/** Launches the app, shows a run of `lines` lines, scrolls it phase by phase, reads the web process's Pss. */
async function measure(binary: string, sidecar: string, lines: number): Promise<Measured> {
  const screen = await recordScreenUpdates();
  const app = await driveApp(binary, { CONVOY_SIDECAR: sidecar }).catch((error) => {
    screen.close();
    throw error;
  });
  const pssOf = (entries: { pssKiB: number }[]) => entries.reduce((sum, p) => sum + p.pssKiB, 0);
  try {
    const { browser } = app;
    // A phase is hundreds of frames in one script.
    await browser.setTimeout({ script: 110_000 });
    await waitFor(() => browser.$('[data-testid="command-input"]').isExisting(), {
      timeout: 60_000,
      interval: 200,
      message: "the main window",
    });
    const memoryStart = webProcessPss(app.shell);
    const queuedAt = Date.now();
    await queueCommand(browser, `seq 1 ${lines}`);
    await waitForOutput(browser, (s: { ended: boolean; count: number }) => s.ended && s.count === lines, {
      timeout: 600_000,
      message: `the ${lines} lines`,
    });
    const shownMs = Date.now() - queuedAt;
    const quietMs = await untilQuiet();
    console.error(`scroll: the machine was quiet ${fmt(quietMs / 1000, 1)} s after the run was shown`);
    const memoryBefore = webProcessPss(app.shell);
    const swept: { name: string; deltas: number[]; script: number[]; shown: number[]; changes: number }[] =
      [];
    let nodes = 0;
    const sweeps: Sweep[] = [];
    const runPhase = async (kind: Parameters<typeof phase>[0], steps: number, name: string) => {
      const result = JSON.parse(await browser.execute(phase, kind, steps, 18)) as {
        deltas: number[];
        nodes: number;
        script: number[];
        from: number;
        to: number;
        moves: number[];
      };
      // A step's change may reach the screen after the phase's last frame.
      const end = result.to + SCREEN_GRACE_MS;
      await sleep(Math.max(0, end - (performance.timeOrigin + performance.now())));
      const changes = screen.between(result.from, end);
      const shown = stepToScreen(changes, result.moves, end);
      console.error(
        `  screen frames p50 ${fmt(at(shown, 50))} max ${fmt(at(shown, 100))} ms; ` +
          `rAF p50 ${fmt(at(result.deltas, 50))} max ${fmt(at(result.deltas, 100))} ms; ` +
          `script per scroll p50 ${fmt(at(result.script, 50))} max ${fmt(at(result.script, 100))} ms (${name})`,
      );
      return { ...result, shown, changes: changes.length };
    };
    const pss = () => pssOf(webProcessPss(app.shell));
    for (const { kind, steps, name } of FLOOR) {
      console.error(`scroll: ${name}`);
      const result = await runPhase(kind, steps, name);
      swept.push({ name, ...result });
    }
    for (let sweep = 1; sweep <= SWEEPS; sweep++) {
      for (const { kind, steps, name } of PHASES) {
        if (sweep > 1 && kind === "idle") continue;
        const label = sweep > 1 ? `${name}, sweep ${sweep}` : name;
        console.error(`scroll: ${label}`);
        const result = await runPhase(kind, steps, label);
        swept.push({ name: label, ...result });
        nodes = Math.max(nodes, result.nodes);
      }
      const after = pss();
      // The lowest reading while it settles: where WebKit's collector brought it, whenever it ran.
      let settled = after;
      for (let waited = 0; waited < SETTLE_MS; waited += SETTLE_SAMPLE_MS) {
        await sleep(SETTLE_SAMPLE_MS);
        settled = Math.min(settled, pss());
      }
      sweeps.push({ after, settled });
    }
    const memoryAfter = webProcessPss(app.shell);
    const state = await outputState(browser);
    return {
      rendering: webRendering(app.shell),
      shownMs,
      quietMs,
      phases: swept.map(({ name, deltas, script, shown, changes }) => ({
        scriptP50: at(script, 50),
        name,
        ...frames(deltas),
        screen: frames(shown),
        screenChanges: changes,
      })),
      lineNodes: Math.max(nodes, state.nodes),
      memoryKiB: {
        start: pssOf(memoryStart),
        before: pssOf(memoryBefore),
        after: pssOf(memoryAfter),
        sweeps,
      },
    };
  } finally {
    screen.close();
    await app.close();
  }
}

/** scroll.md from the record: tables of the figures, verdicts in the aims' "met" column. */
export function render(record: ScrollRecord): string {
  const { machine, smoke } = record;
  const mib = (kib: number) => fmt(kib / 1024, 1);
  const ms = (x: number) => fmt(x, 1);
  const m = record.memoryKiB;
  const worst = Math.max(
    ...record.phases
      .filter((p) => !p.name.startsWith("idle") && !p.name.startsWith("floor"))
      .map((p) => p.screen.max),
  );
  // Bounded: the last sweep, once settled, ends no higher than an earlier one did (2 MiB of slack).
  // A leak grows with every sweep; the collector's timing moves a settled figure either way.
  const earlier = Math.max(...m.sweeps.slice(0, -1).map((sweep) => sweep.settled));
  const grew = (m.sweeps.at(-1)?.settled ?? 0) - earlier;
  const yes = (met: boolean) => (met ? "yes" : "no");
  const command = ["bash bench/scroll.sh", ...(smoke ? ["--smoke"] : [])].join(" ");
  const md = `# Scrolling a ${fmt(record.lines, 0)}-line run

${recordedLine(machine, command)}
Runbook's release build in the real WebKitGTK webview under Xvfb, the run \`seq 1 ${record.lines}\` queued from the window's form.

${machineLine(machine)}

## Aims

${table(
  ["aim", "reading", "met"],
  [
    [
      `no frame longer than ${FRAME_AIM_MS} ms while scrolling and jumping`,
      `longest ${ms(worst)} ms`,
      yes(worst <= FRAME_AIM_MS),
    ],
    [
      `the web process's memory bounded (the last of ${SWEEPS} sweeps settles no higher than the earlier ones did)`,
      `settled Pss ${m.sweeps.map((sweep) => mib(sweep.settled)).join(" then ")} MiB`,
      yes(grew <= 2 * 1024),
    ],
    [
      "only a window of lines in the page",
      `at most ${record.lineNodes} line nodes`,
      yes(record.lineNodes <= 100),
    ],
  ],
  ["l", "l", "l"],
)}

## Frames (ms)

The web process drew ${record.rendering === "direct" ? "**without WebKitGTK's compositor** (the app's choice on a machine with no GPU it can open, or `CONVOY_WEBVIEW_COMPOSITING=off`)" : "**through WebKitGTK's compositor** (OpenGL; on a machine with no GPU, Mesa's software rasteriser)"}.
A frame is what the user waits for: from each step that moved the view (a scroll, a jump) to the
next change of the screen, as the X server reported it (the DAMAGE extension on Xvfb's root
window). "steps" counts those steps, "changes" how often the screen changed over the phase. The
rAF columns are the page's requestAnimationFrame deltas; without the compositor, WebKitGTK runs
those faster than the screen changes, so they are not frames there. While idle nothing moves:
no step, and the screen should not change (a change there is something else drawing). The floor rows scroll a bare scroller of 61 divs (plain script, no React,
no fetches) the same way, over the window: what this machine's webview manages at its load.
"script" is the time from a scroll event to a task queued behind the view's render, p50.

${table(
  [
    "phase",
    "steps",
    "changes",
    "p50",
    "p99",
    "max",
    `over ${FRAME_AIM_MS} ms`,
    "rAF p50",
    "rAF max",
    "script p50",
  ],
  record.phases.map((p) => [
    p.name,
    String(p.screen.frames),
    String(p.screenChanges),
    ms(p.screen.p50),
    ms(p.screen.p99),
    ms(p.screen.max),
    String(p.screen.over50),
    ms(p.p50),
    ms(p.max),
    ms(p.scriptP50),
  ]),
)}

## Where the memory goes

WebKitWebProcess Pss: ${mib(m.start)} MiB at start, ${mib(m.before)} MiB with the run shown
(after following it live); then for each sweep (the three phases), right after it and then the lowest of
the readings each second over the next ${SETTLE_MS / 1000} s (where WebKit's garbage collector left it):
${m.sweeps.map((sweep, k) => `sweep ${k + 1}: ${mib(sweep.after)} MiB, then ${mib(sweep.settled)} MiB`).join("; ")}. The view keeps at most 24 pages of
500 lines and 20,000 live lines, whatever the run's length. The run was queued and shown complete
(all ${fmt(record.lines, 0)} lines stored) in ${fmt(record.shownMs / 1000, 1)} s; the phases began once the machine was quiet
(at most ${QUIET_BUSY * 100}% busy over ${QUIET_WINDOW_MS / 1000} s), ${fmt(record.quietMs / 1000, 1)} s later.
`;
  return md;
}

if (import.meta.main) {
  const args = reportArgs("scroll", {
    root: true,
    extra: {
      app: { type: "string" },
      sidecar: { type: "string" },
      smoke: { type: "boolean", default: false },
    },
  });
  const opts = args.values;
  if (!opts.app || !opts.sidecar) {
    console.error(
      "usage: bun bench/scroll.ts --app <runbook> --sidecar <compiled sidecar> --work <dir> --root <tree> --json <f> --md <f> [--smoke]",
    );
    process.exit(2);
  }
  const smoke = opts.smoke === true;
  const lines = smoke ? 100_000 : 1_000_000;
  const measured = await measure(opts.app, opts.sidecar, lines);
  saveLoadAverage(args.work, "after");
  const machine = desktopMachine(args.work, args.root);
  const record: ScrollRecord = {
    machine,
    recordedAt: machine.date,
    lines,
    smoke,
    ...measured,
    loadavg: machine.load_average_after?.join(" ") ?? null,
  };
  const md = render(record);
  writeReport(args, record, md);
  console.log(md);
}
