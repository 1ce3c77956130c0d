// The UI ↔ api and job output benchmarks, run inside Runbook's real main
// window (release build, started through tauri-driver; bench/ui.sh):
//
// - a small authenticated read from the webview: `GET /jobs?limit=1` with the
//   launch token, timed by the page, one request after another;
// - job output → UI: jobs queued through the window's own form, whose lines
//   carry the wall-clock time they were printed; a MutationObserver on the
//   output view notes when each line is in the DOM (the latency), and a
//   flood job's lines are checked one by one (none dropped, none repeated,
//   in order) for the sustained rate;
// - the window's own frame: a text in the page changed every 20 ms, and the
//   time to the next change of the screen (X DAMAGE), the floor under every
//   line's "on screen" figure.
//
// Writes the raw figures as JSON to --out.

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { openDriverSession, waitFor } from "@convoy/testing";
import { timedLinesCommand } from "./lib/jobs.ts";
import { inPage, preparePage, timerResolution, userAgent } from "./lib/page.ts";
import { recordScreenUpdates, type ScreenUpdates, stepToScreen } from "./lib/screen.ts";

const { values: opts } = parseArgs({
  options: {
    app: { type: "string" },
    sidecar: { type: "string" },
    "data-dir": { type: "string" },
    out: { type: "string" },
    smoke: { type: "boolean", default: false },
  },
});
if (!opts.app || !opts.sidecar || !opts["data-dir"] || !opts.out) {
  console.error(
    "usage: bun bench/ui.ts --app <runbook> --sidecar <compiled sidecar> --data-dir <dir> --out <file.json> [--smoke]",
  );
  process.exit(2);
}

const smoke = opts.smoke;
const plan = {
  read: { calls: smoke ? 50 : 1000, warmup: smoke ? 10 : 100 },
  // A chatty job (a line every 20 ms, the worker's batching window under load) and a quiet one.
  latency: { runs: smoke ? 1 : 3, lines: smoke ? 20 : 200, intervalsMs: [20, 50] },
  // As many page changes as lines in the chatty runs, as far apart.
  frame: { changes: smoke ? 20 : 600, intervalMs: 20 },
  flood: { runs: smoke ? 1 : 3, lines: smoke ? 10_000 : 200_000 },
};

// ---- What runs in the page. Each function is self-contained: it is sent as source.

/** True when this window is the main one (it has the jobs form). */
async function isMainWindow() {
  return document.querySelector('[data-testid="command-input"]') !== null;
}

/** `GET /jobs?limit=1` with the token, as the UI's client sends it, one after another. */
async function readLatency({ calls, warmup }: { calls: number; warmup: number }) {
  const endpoint = await window.__TAURI_INTERNALS__.invoke<{ baseUrl: string; token: string }>(
    "plugin:convoy-supervisor|endpoint",
    { name: "api" },
  );
  const headers = { Authorization: `Bearer ${endpoint.token}` };
  const read = async () => {
    const response = await fetch(`${endpoint.baseUrl}/jobs?limit=1`, { headers });
    if (!response.ok) throw new Error(`GET /jobs: ${response.status}`);
    return response.json();
  };
  for (let i = 0; i < warmup; i++) await read();
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await read();
    samples.push(performance.now() - t);
  }
  return { samples, totalMs: performance.now() - start, calls };
}

/**
 * Queues `command` through the window's form and follows the job in its
 * output view: every mutation of the view is noted with the wall-clock time
 * each complete line is in the DOM. Resolves once the view says the output
 * ended.
 */
async function followJob({
  command,
  timeoutMs,
  keepText,
}: {
  command: string;
  timeoutMs: number;
  keepText: boolean;
}) {
  const now = () => performance.timeOrigin + performance.now();
  const input = document.querySelector('[data-testid="command-input"]') as HTMLInputElement;
  // React reads the value through its own setter's tracker: set it natively, then say so.
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set;
  setter?.call(input, command);
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = document.querySelector('[data-testid="job-detail"]')?.getAttribute("data-job-id") ?? null;
  // Each output long poll's answer, as the page's resource timing sees it: when it was all in.
  performance.setResourceTimingBufferSize(1_000_000);
  performance.clearResourceTimings();
  (document.querySelector('[data-testid="submit-job"]') as HTMLElement).click();
  const submittedAt = now();

  // The detail view switches to the new job.
  let view: Element | null = null;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const detail = document.querySelector('[data-testid="job-detail"]');
    if (detail && detail.getAttribute("data-job-id") !== before) {
      view = detail.querySelector('[data-testid="job-output"]');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (!view) throw new Error("the new job was not shown");
  const output = view;

  // The view is windowed: it holds the lines in view (each `.output-line`,
  // numbered by data-n), and says how many the run has (data-lines). A line
  // is noted with the time its text last changed: a line still being written
  // shows its start first.
  const shown = new Map<number, [at: number, text: string]>();
  let count = 0;
  let firstAt: number | null = null;
  let countedAt: number | null = null; // when data-lines last grew
  const take = () => {
    const at = now();
    for (const row of Array.from(output.querySelectorAll(".output-line[data-n]"))) {
      if (row.classList.contains("output-loading")) continue;
      const n = Number(row.getAttribute("data-n"));
      const text = (row.textContent ?? "").replace(/\n$/, "");
      const known = shown.get(n);
      if (known === undefined || known[1] !== text) shown.set(n, [at, text]);
      firstAt ??= at;
    }
    const lines = Number(output.getAttribute("data-lines") ?? 0);
    if (lines > count) {
      count = lines;
      countedAt = at;
    }
  };
  take();
  await new Promise<void>((resolve, reject) => {
    const observer = new MutationObserver(() => {
      take();
      if (output.getAttribute("data-ended") === "true") {
        clearTimeout(timer);
        observer.disconnect();
        resolve();
      }
    });
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(`the job's output did not end within ${timeoutMs} ms (${count} lines counted)`));
    }, timeoutMs);
    observer.observe(output, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const endedAt = now();
  const answers = performance
    .getEntriesByType("resource")
    .filter((entry) => /\/jobs\/[^/]+\/output\?/.test(entry.name))
    .map((entry) => performance.timeOrigin + (entry as PerformanceResourceTiming).responseEnd)
    .sort((a, b) => a - b);
  // The output ends before the job's final state reaches the window (jobs:changed).
  const detail = document.querySelector('[data-testid="job-detail"]');
  const ended = ["succeeded", "failed", "cancelled", "interrupted"];
  for (let i = 0; i < 1000 && !ended.includes(detail?.getAttribute("data-status") ?? ""); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Everything the view followed, read again through the same endpoint: a
  // flood's lines mostly scroll past unrendered, so they are checked here.
  let streamText: string | null = null;
  if (!keepText) {
    const endpoint = await window.__TAURI_INTERNALS__.invoke<{ baseUrl: string; token: string }>(
      "plugin:convoy-supervisor|endpoint",
      { name: "api" },
    );
    const headers = { Authorization: `Bearer ${endpoint.token}` };
    const id = detail?.getAttribute("data-job-id");
    const parts: string[] = [];
    let after = "0";
    for (;;) {
      const response = await fetch(`${endpoint.baseUrl}/jobs/${id}/output?after=${after}&limit=1000`, {
        headers,
      });
      const page = (await response.json()) as {
        chunks: { stream: string; text: string }[];
        cursor: string;
        end: boolean;
      };
      for (const chunk of page.chunks) if (chunk.stream === "stdout") parts.push(chunk.text);
      after = page.cursor;
      if (page.end) break;
    }
    streamText = parts.join("");
  }
  const rendered = [...shown.entries()].sort(([a], [b]) => a - b);
  return {
    submittedAt,
    endedAt,
    status: detail?.getAttribute("data-status") ?? null,
    trimmed: document.querySelector('[data-testid="output-truncated"]') !== null,
    // [n, wall-clock ms, text] of every line the view rendered.
    seen: keepText ? rendered.map(([n, [at, text]]) => [n, at, text] as const) : null,
    count,
    firstAt,
    lastAt: countedAt,
    // A line the view moved past while it was still being written keeps its start: a prefix is no mismatch.
    renderedMismatches: keepText
      ? null
      : rendered.filter(([n, [, text]]) => !String(n + 1).startsWith(text)).map(([n, [, text]]) => [n, text]),
    rendered: rendered.length,
    lines: streamText === null ? null : streamText.split("\n").slice(0, -1),
    answers: keepText ? answers : null,
  };
}

/**
 * A short text in a corner of the page, changed `changes` times, `intervalMs`
 * apart: the wall-clock time of each change. Nothing else in the window moves
 * meanwhile, so the next change of the screen is this one's frame.
 */
async function pageChanges({ changes, intervalMs }: { changes: number; intervalMs: number }) {
  const now = () => performance.timeOrigin + performance.now();
  const box = document.createElement("div");
  box.style.cssText =
    "position:fixed;right:4px;bottom:4px;padding:2px 4px;font:12px monospace;background:#fff;color:#000;z-index:9999";
  box.textContent = "-";
  document.body.append(box);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const at: number[] = [];
  for (let i = 0; i < changes; i++) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    box.textContent = String(i);
    at.push(now());
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  box.remove();
  return at;
}

// ---- The benchmark.

// One line: the window's command field is a single-line input.
const latencyCommand = timedLinesCommand;

const session = await openDriverSession({
  binary: opts.app,
  env: { CONVOY_SIDECAR: opts.sidecar, CONVOY_DATA_DIR: opts["data-dir"] },
});
let results: Record<string, unknown>;
let screen: ScreenUpdates | undefined;
try {
  const { browser } = session;
  await preparePage(browser);
  // The main window is the one with the jobs form (the splash closes at start-up).
  await waitFor(
    async () => {
      for (const handle of await browser.getWindowHandles()) {
        // A window may be closing (the splash) or still loading: try again.
        const found = await browser
          .switchToWindow(handle)
          .then(() => inPage(browser, isMainWindow))
          .catch(() => false);
        if (found) return true;
      }
      return false;
    },
    { timeout: 60_000, interval: 100, message: "Runbook's main window with its jobs form" },
  );
  const agent = await inPage(browser, userAgent);
  const timerResolutionMs = await inPage(browser, timerResolution);

  console.error(`read: GET /jobs?limit=1 × ${plan.read.calls}`);
  const read = await inPage(browser, readLatency, plan.read);

  // Every change of the screen while lines arrive: a line is on screen with the first change after it is in the DOM.
  screen = await recordScreenUpdates();
  const changesOf = screen.between;
  const latency = [];
  for (const intervalMs of plan.latency.intervalsMs) {
    for (let run = 0; run < plan.latency.runs; run++) {
      console.error(`latency run ${run + 1}: ${plan.latency.lines} lines, ${intervalMs} ms apart`);
      const followed = await inPage(browser, followJob, {
        command: latencyCommand({ lines: plan.latency.lines, intervalMs }),
        timeoutMs: 100_000,
        keepText: true,
      });
      const samples = [];
      const changes = changesOf(followed.submittedAt, followed.endedAt + 1000);
      for (const [, at, line] of followed.seen ?? []) {
        const match = /^t (\d+) (\d+)$/.exec(line);
        if (!match) continue;
        const printedAt = Number(match[2]) / 1000;
        // The answer that brought the line: the last one all in by the time it was in the DOM.
        const answeredAt = followed.answers?.findLast((answer) => answer <= at) ?? null;
        const shownAt = changes.find((change) => change > at) ?? null;
        samples.push({
          onScreen: shownAt === null ? null : shownAt - printedAt,
          painted: shownAt === null ? null : shownAt - at,
          seq: Number(match[1]),
          ms: at - printedAt,
          answered: answeredAt === null ? null : answeredAt - printedAt,
          rendered: answeredAt === null ? null : at - answeredAt,
        });
      }
      const ordered = samples.every((sample, index) => sample.seq === index);
      if (samples.length !== plan.latency.lines || !ordered || followed.status !== "succeeded") {
        throw new Error(
          `latency run: ${samples.length} of ${plan.latency.lines} lines, in order: ${ordered}, status ${followed.status}`,
        );
      }
      latency.push({
        intervalMs,
        samples: samples.map((sample) => sample.ms),
        // The same latency in two parts: printed → its long poll answered in the page, answered → in the DOM.
        answered: samples.map((sample) => sample.answered),
        rendered: samples.map((sample) => sample.rendered),
        // Printed → the first change of the screen after the line was in the DOM.
        screen: samples.map((sample) => sample.onScreen),
        // In the DOM → that change of the screen: the window's frame, as `frame` measures it alone.
        painted: samples.map((sample) => sample.painted),
        status: followed.status,
      });
    }
  }

  // The floor under "on screen": how long any change of this page waits for the screen.
  console.error(`frame: ${plan.frame.changes} changes of the page, ${plan.frame.intervalMs} ms apart`);
  const changedAt = await inPage(browser, pageChanges, plan.frame);
  const lastChange = (changedAt.at(-1) ?? 0) + 1000;
  const frame = {
    intervalMs: plan.frame.intervalMs,
    samples: stepToScreen(changesOf(changedAt[0] ?? 0, lastChange), changedAt, lastChange),
  };

  const flood = [];
  for (let run = 0; run < plan.flood.runs; run++) {
    const n = plan.flood.lines;
    console.error(`flood run ${run + 1}: seq 1 ${n}`);
    const followed = await inPage(browser, followJob, {
      command: `seq 1 ${n}`,
      timeoutMs: 100_000,
      keepText: false,
    });
    // Every line, once, in order, in what the view followed; the view counts
    // exactly that many, and every line it rendered is the job's line there.
    const renderedMismatches = followed.renderedMismatches ?? [];
    let mismatches = renderedMismatches.length;
    if (mismatches > 0)
      console.error(`rendered lines unlike seq's: ${JSON.stringify(renderedMismatches.slice(0, 5))}`);
    const lines = followed.lines ?? [];
    for (let i = 0; i < n; i++) if (lines[i] !== String(i + 1)) mismatches += 1;
    const extra = Math.max(0, lines.length - n, followed.count - n);
    const lastAt = followed.lastAt ?? Number.NaN;
    flood.push({
      lines: n,
      received: Math.min(lines.length, followed.count),
      rendered: followed.rendered,
      mismatches,
      extra,
      status: followed.status,
      trimmed: followed.trimmed,
      // From the job's submission, and from its first line on screen, to its last.
      submitToLastMs: lastAt - followed.submittedAt,
      firstToLastMs: lastAt - (followed.firstAt ?? Number.NaN),
    });
  }
  results = { plan, smoke, userAgent: agent, timerResolutionMs, read, latency, frame, flood };
} finally {
  screen?.close();
  await session.close();
}
writeFileSync(opts.out, `${JSON.stringify(results)}\n`);
console.error(`wrote ${opts.out}`);
