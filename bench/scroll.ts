// Scrolling a 1,000,000-line run in Runbook's real main window (release
// build, through tauri-driver under Xvfb; bench/scroll.sh): frame times from
// requestAnimationFrame deltas in the page during a scroll sweep (a wheel-like
// 40 px a frame, then the scrollbar dragged through the whole run) and jumps
// (End, Start, lines picked at random), and the web process's memory
// (WebKitWebProcess Pss from /proc/<pid>/smaps_rollup) before and after.
// Writes --json and --md.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { launchApp } from "../tests/e2e/support/app.mjs";
import { outputState, queueCommand, waitForOutput } from "../tests/e2e/support/output.mjs";
import { descendants } from "../tests/e2e/support/processes.mjs";

const { values: opts } = parseArgs({
  options: {
    app: { type: "string" },
    sidecar: { type: "string" },
    json: { type: "string" },
    md: { type: "string" },
    smoke: { type: "boolean", default: false },
  },
});
if (!opts.app || !opts.sidecar || !opts.json || !opts.md) {
  console.error(
    "usage: bun bench/scroll.ts --app <runbook> --sidecar <compiled sidecar> --json <f> --md <f> [--smoke]",
  );
  process.exit(2);
}
const LINES = opts.smoke ? 100_000 : 1_000_000;
const FRAME_AIM_MS = 50;

/** Pss of every WebKitWebProcess under the app, in KiB. */
function webProcessPss(root: number): { pid: number; pssKiB: number }[] {
  return descendants(root)
    .filter(({ pid }: { pid: number }) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim().startsWith("WebKitWebProces");
      } catch {
        return false;
      }
    })
    .map(({ pid }: { pid: number }) => {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      return { pid, pssKiB: Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) };
    });
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
  let last = await frame();
  for (let i = 0; i < steps; i++) {
    move(i);
    const now = await frame();
    deltas.push(now - last);
    last = now;
    if (!bare) nodes = Math.max(nodes, view.querySelectorAll(".output-line").length);
  }
  view.removeEventListener("scroll", onScroll);
  channel.port1.close();
  bare?.remove();
  // As text: WebKit's driver fails to return some plain results ("Could not parse script result").
  return JSON.stringify({ deltas, nodes, script });
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
const SWEEPS = 2;
/** After a sweep, the wait before memory is read again (WebKit's GC is not to be forced from script). */
const SETTLE_MS = 15_000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

const app = await launchApp({ binary: opts.app, env: { CONVOY_SIDECAR: opts.sidecar } });
let results: Record<string, unknown>;
try {
  const { browser } = app;
  // A phase is hundreds of frames in one script.
  await browser.setTimeout({ script: 110_000 });
  await browser.waitUntil(
    async () => (await browser.$('[data-testid="command-input"]').isExisting()) === true,
    {
      timeout: 60_000,
      timeoutMsg: "the main window",
    },
  );
  const memoryStart = webProcessPss(app.shell.pid);
  const queuedAt = Date.now();
  await queueCommand(browser, `seq 1 ${LINES}`);
  await waitForOutput(browser, (s: { ended: boolean; count: number }) => s.ended && s.count === LINES, {
    timeout: 600_000,
    message: `the ${LINES} lines`,
  });
  const shownMs = Date.now() - queuedAt;
  const memoryBefore = webProcessPss(app.shell.pid);
  const swept: { name: string; deltas: number[]; script: number[] }[] = [];
  let nodes = 0;
  const sweeps: { after: number; settled: number }[] = [];
  const runPhase = async (kind: Parameters<typeof phase>[0], steps: number, name: string) => {
    const result = JSON.parse(await browser.execute(phase, kind, steps, 18)) as {
      deltas: number[];
      nodes: number;
      script: number[];
    };
    console.error(
      `  frames p50 ${percentile(result.deltas, 50).toFixed(1)} max ${Math.max(...result.deltas).toFixed(1)} ms; ` +
        `script per scroll p50 ${percentile(result.script, 50).toFixed(1)} max ${Math.max(0, ...result.script).toFixed(1)} ms (${name})`,
    );
    return result;
  };
  const pss = () => webProcessPss(app.shell.pid).reduce((sum, p) => sum + p.pssKiB, 0);
  for (const { kind, steps, name } of FLOOR) {
    console.error(`scroll: ${name}`);
    const result = await runPhase(kind, steps, name);
    swept.push({ name, deltas: result.deltas, script: result.script });
  }
  for (let sweep = 1; sweep <= SWEEPS; sweep++) {
    for (const { kind, steps, name } of PHASES) {
      if (sweep > 1 && kind === "idle") continue;
      const label = sweep > 1 ? `${name}, sweep ${sweep}` : name;
      console.error(`scroll: ${label}`);
      const result = await runPhase(kind, steps, label);
      swept.push({ name: label, deltas: result.deltas, script: result.script });
      nodes = Math.max(nodes, result.nodes);
    }
    const after = pss();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    sweeps.push({ after, settled: pss() });
  }
  const memoryAfter = webProcessPss(app.shell.pid);
  const state = await outputState(browser);
  const phases = swept.map(({ name, deltas, script }) => ({
    scriptP50: percentile(script, 50),
    name,
    frames: deltas.length,
    p50: percentile(deltas, 50),
    p99: percentile(deltas, 99),
    max: Math.max(...deltas),
    over50: deltas.filter((d) => d > FRAME_AIM_MS).length,
  }));
  results = {
    recordedAt: new Date().toISOString(),
    lines: LINES,
    smoke: opts.smoke,
    shownMs,
    phases,
    lineNodes: Math.max(nodes, state.nodes),
    memoryKiB: {
      start: memoryStart.reduce((s, p) => s + p.pssKiB, 0),
      before: memoryBefore.reduce((s, p) => s + p.pssKiB, 0),
      after: memoryAfter.reduce((s, p) => s + p.pssKiB, 0),
      sweeps,
    },
    loadavg: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  };
} finally {
  await app.close();
}
writeFileSync(opts.json, `${JSON.stringify(results, null, 2)}\n`);
const r = results as {
  lines: number;
  shownMs: number;
  phases: {
    name: string;
    frames: number;
    p50: number;
    p99: number;
    max: number;
    over50: number;
    scriptP50: number;
  }[];
  lineNodes: number;
  memoryKiB: { start: number; before: number; after: number; sweeps: { after: number; settled: number }[] };
  loadavg: string;
  recordedAt: string;
};
const mib = (kib: number) => (kib / 1024).toFixed(1);
const worst = Math.max(
  ...r.phases.filter((p) => !p.name.startsWith("idle") && !p.name.startsWith("floor")).map((p) => p.max),
);
const sweepsKiB = r.memoryKiB.sweeps;
// Bounded: a second sweep, once settled, ends no higher than the first did (2 MiB of slack).
const grew = (sweepsKiB.at(-1)?.settled ?? 0) - (sweepsKiB[0]?.settled ?? 0);
const md = `# Scrolling a ${r.lines.toLocaleString("en")}-line run

Recorded ${r.recordedAt} (load average ${r.loadavg}) by \`bash bench/scroll.sh\`: Runbook's release build
in the real WebKitGTK webview under Xvfb, the run \`seq 1 ${r.lines}\` queued from the window's form.

## Aims

| aim | reading | met |
|---|---|---|
| no frame longer than ${FRAME_AIM_MS} ms while scrolling and jumping | longest ${worst.toFixed(1)} ms | ${worst <= FRAME_AIM_MS ? "yes" : "no"} |
| the web process's memory bounded (a second sweep settles no higher than the first) | settled Pss ${sweepsKiB.map((m) => `${mib(m.settled)}`).join(" then ")} MiB | ${grew <= 2 * 1024 ? "yes" : "no"} |
| only a window of lines in the page | at most ${r.lineNodes} line nodes | ${r.lineNodes <= 100 ? "yes" : "no"} |

## Frames (requestAnimationFrame deltas, ms)

The floor rows scroll a bare scroller of 61 divs (plain script, no React, no fetches) the same way,
over the window: what this machine's webview manages at its load. "script" is the time from a
scroll event to a task queued behind the view's render, p50.

| phase | frames | p50 | p99 | max | over ${FRAME_AIM_MS} ms | script p50 |
|---|---|---|---|---|---|---|
${r.phases.map((p) => `| ${p.name} | ${p.frames} | ${p.p50.toFixed(1)} | ${p.p99.toFixed(1)} | ${p.max.toFixed(1)} | ${p.over50} | ${p.scriptP50.toFixed(1)} |`).join("\n")}

## Where the memory goes

WebKitWebProcess Pss: ${mib(r.memoryKiB.start)} MiB at start, ${mib(r.memoryKiB.before)} MiB with the run shown
(after following it live); then for each sweep (the three phases), right after it and ${SETTLE_MS / 1000} s later:
${sweepsKiB.map((m, k) => `sweep ${k + 1}: ${mib(m.after)} MiB, then ${mib(m.settled)} MiB`).join("; ")}. The view keeps at most 24 pages of
500 lines and 20,000 live lines, whatever the run's length. The run was queued and shown complete
(all ${r.lines.toLocaleString("en")} lines stored) in ${(r.shownMs / 1000).toFixed(1)} s.
`;
writeFileSync(opts.md, md);
console.log(md);
