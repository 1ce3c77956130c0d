// The UI ↔ api and job output benchmarks, run inside Runbook's real main
// window (release build, started through tauri-driver; bench/ui.sh):
//
// - a small authenticated read from the webview: `GET /jobs?limit=1` with the
//   launch token, timed by the page, one request after another;
// - job output → UI: jobs queued through the window's own form, whose lines
//   carry the wall-clock time they were printed; a MutationObserver on the
//   output view notes when each line is in the DOM (the latency), and a
//   flood job's lines are checked one by one (none dropped, none repeated,
//   in order) for the sustained rate.
//
// Writes the raw figures as JSON to --out.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { openSession, timerResolution, waitFor } from "./webdriver.mjs";

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
    "usage: node bench/ui.mjs --app <runbook> --sidecar <compiled sidecar> --data-dir <dir> --out <file.json> [--smoke]",
  );
  process.exit(2);
}

const smoke = opts.smoke;
const plan = {
  read: { calls: smoke ? 50 : 1000, warmup: smoke ? 10 : 100 },
  // A chatty job (a line every 20 ms, the worker's batching window under load) and a quiet one.
  latency: { runs: smoke ? 1 : 3, lines: smoke ? 20 : 200, intervalsMs: [20, 50] },
  flood: { runs: smoke ? 1 : 3, lines: smoke ? 10_000 : 200_000 },
};

// ---- What runs in the page. Each function is self-contained: it is sent as source.

/** Waits for the main window's jobs form; true when this window has it. */
async function isMainWindow() {
  return document.querySelector('[data-testid="command-input"]') !== null;
}

/** `GET /jobs?limit=1` with the token, as the UI's client sends it, one after another. */
async function readLatency({ calls, warmup }) {
  const endpoint = await window.__TAURI_INTERNALS__.invoke("plugin:convoy-supervisor|endpoint", {
    name: "api",
  });
  const headers = { Authorization: `Bearer ${endpoint.token}` };
  const read = async () => {
    const response = await fetch(`${endpoint.baseUrl}/jobs?limit=1`, { headers });
    if (!response.ok) throw new Error(`GET /jobs: ${response.status}`);
    return response.json();
  };
  for (let i = 0; i < warmup; i++) await read();
  const samples = [];
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
 * output view: every mutation of the view is noted with the wall-clock time,
 * and `parse` turns each complete new line into a record. Resolves once the
 * view says the output ended.
 */
async function followJob({ command, timeoutMs, keepText }) {
  const now = () => performance.timeOrigin + performance.now();
  const input = document.querySelector('[data-testid="command-input"]');
  // React reads the value through its own setter's tracker: set it natively, then say so.
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
  setter.call(input, command);
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = document.querySelector('[data-testid="job-detail"]')?.getAttribute("data-job-id") ?? null;
  // Each output long poll's answer, as the page's resource timing sees it: when it was all in.
  performance.setResourceTimingBufferSize(1_000_000);
  performance.clearResourceTimings();
  document.querySelector('[data-testid="submit-job"]').click();
  const submittedAt = now();

  // The detail view switches to the new job.
  let view = null;
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

  const seen = []; // [wall-clock ms, line] for each complete line, as it appeared
  let consumed = 0; // characters of the view's text already split into lines
  let text = "";
  const take = () => {
    text = view.textContent;
    const at = now();
    let end = text.indexOf("\n", consumed);
    while (end !== -1) {
      seen.push([at, text.slice(consumed, end)]);
      consumed = end + 1;
      end = text.indexOf("\n", consumed);
    }
  };
  take();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(`the job's output did not end within ${timeoutMs} ms (${seen.length} lines seen)`));
    }, timeoutMs);
    const observer = new MutationObserver(() => {
      take();
      if (view.getAttribute("data-ended") === "true") {
        clearTimeout(timer);
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(view, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const endedAt = now();
  const answers = performance
    .getEntriesByType("resource")
    .filter((entry) => /\/jobs\/[^/]+\/output\?/.test(entry.name))
    .map((entry) => performance.timeOrigin + entry.responseEnd)
    .sort((a, b) => a - b);
  // The output ends before the job's final state reaches the window (jobs:changed).
  const detail = document.querySelector('[data-testid="job-detail"]');
  const ended = ["succeeded", "failed", "cancelled", "interrupted"];
  for (let i = 0; i < 1000 && !ended.includes(detail?.getAttribute("data-status")); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    submittedAt,
    endedAt,
    status: detail?.getAttribute("data-status") ?? null,
    trimmed: document.querySelector('[data-testid="output-trimmed"]') !== null,
    seen: keepText ? seen : null,
    count: seen.length,
    firstAt: seen[0]?.[0] ?? null,
    lastAt: seen.at(-1)?.[0] ?? null,
    lines: keepText ? null : seen.map(([, line]) => line),
    answers: keepText ? answers : null,
  };
}

// ---- The benchmark.

// One line: the window's command field is a single-line input.
const latencyCommand = ({ lines, intervalMs }) =>
  `python3 -u -c "import time; [(print('t', i, time.time_ns() // 1000, flush=True), time.sleep(${intervalMs / 1000})) for i in range(${lines})]"`;

const results = { plan, smoke };
const session = await openSession(opts.app, {
  env: { CONVOY_SIDECAR: opts.sidecar, CONVOY_DATA_DIR: opts["data-dir"] },
});
try {
  // The main window is the one with the jobs form (the splash closes at start-up).
  await waitFor(
    async () => {
      for (const handle of await session.call("GET", "/window/handles")) {
        // A window may be closing (the splash) or still loading: try again.
        const found = await session
          .call("POST", "/window", { handle })
          .then(() => session.inPage(isMainWindow))
          .catch(() => false);
        if (found) return true;
      }
      return false;
    },
    60_000,
    "Runbook's main window with its jobs form",
  );
  results.userAgent = await session.inPage(async () => navigator.userAgent);
  results.timerResolutionMs = await session.inPage(timerResolution);

  console.error(`read: GET /jobs?limit=1 × ${plan.read.calls}`);
  results.read = await session.inPage(readLatency, plan.read);

  results.latency = [];
  for (const intervalMs of plan.latency.intervalsMs) {
    for (let run = 0; run < plan.latency.runs; run++) {
      console.error(`latency run ${run + 1}: ${plan.latency.lines} lines, ${intervalMs} ms apart`);
      const followed = await session.inPage(followJob, {
        command: latencyCommand({ lines: plan.latency.lines, intervalMs }),
        timeoutMs: 120_000,
        keepText: true,
      });
      const samples = [];
      for (const [at, line] of followed.seen) {
        const match = /^t (\d+) (\d+)$/.exec(line);
        if (!match) continue;
        const printedAt = Number(match[2]) / 1000;
        // The answer that brought the line: the last one all in by the time it was in the DOM.
        const answeredAt = followed.answers.findLast((answer) => answer <= at) ?? null;
        samples.push({
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
      results.latency.push({
        intervalMs,
        samples: samples.map((sample) => sample.ms),
        // The same latency in two parts: printed → its long poll answered in the page, answered → in the DOM.
        answered: samples.map((sample) => sample.answered),
        rendered: samples.map((sample) => sample.rendered),
        status: followed.status,
      });
    }
  }

  results.flood = [];
  for (let run = 0; run < plan.flood.runs; run++) {
    const n = plan.flood.lines;
    console.error(`flood run ${run + 1}: seq 1 ${n}`);
    const followed = await session.inPage(followJob, {
      command: `seq 1 ${n}`,
      timeoutMs: 600_000,
      keepText: false,
    });
    // Every line, once, in order: the UI shows exactly what the job printed.
    let mismatches = 0;
    for (let i = 0; i < n; i++) if (followed.lines[i] !== String(i + 1)) mismatches += 1;
    const extra = Math.max(0, followed.lines.length - n);
    results.flood.push({
      lines: n,
      received: followed.lines.length,
      mismatches,
      extra,
      status: followed.status,
      trimmed: followed.trimmed,
      // From the job's submission, and from its first line on screen, to its last.
      submitToLastMs: followed.lastAt - followed.submittedAt,
      firstToLastMs: followed.lastAt - followed.firstAt,
    });
  }
} finally {
  await session.close();
}
writeFileSync(opts.out, `${JSON.stringify(results)}\n`);
console.error(`wrote ${opts.out}`);
