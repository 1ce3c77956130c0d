// The UI ↔ shell IPC benchmark, run inside the real webview: the release
// build of the empty Tauri app (bench/baselines/empty-tauri, which carries the
// benchmark's commands) is started through tauri-driver, and every timing
// loop runs in its page (WebDriver only starts a loop and collects its
// figures). Run by bench/ipc.sh; writes the raw figures as JSON to --out.
//
// Plain WebDriver over HTTP (bench/webdriver.mjs), so the benchmark needs no
// client library.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { openSession, timerResolution } from "./webdriver.mjs";

const { values: opts } = parseArgs({
  options: {
    app: { type: "string" },
    out: { type: "string" },
    smoke: { type: "boolean", default: false },
  },
});
if (!opts.app || !opts.out) {
  console.error("usage: node bench/ipc.mjs --app <empty-tauri binary> --out <file.json> [--smoke]");
  process.exit(2);
}

const smoke = opts.smoke;
const MB10 = 10 * 1024 * 1024;
const plan = {
  invoke: { calls: smoke ? 50 : 1000, warmup: smoke ? 10 : 100 },
  bytes: { len: MB10, reps: smoke ? 2 : 20 },
  // The old postMessage path turns bytes into a JSON array of numbers: fewer repetitions.
  bytesPostMessage: { len: MB10, reps: smoke ? 1 : 5 },
  // Lines per message → messages per repetition (about 20 000 lines each time).
  streams: smoke
    ? [
        [1, 200],
        [100, 20],
      ]
    : [
        [1, 5000],
        [10, 2000],
        [100, 200],
        [1000, 20],
      ],
  streamReps: smoke ? 1 : 5,
};

// ---- What runs in the page. Each function is self-contained: it is sent as source.

/** Sets up what the other functions use: a CSP violation log (the postMessage page), a channel helper. */
async function prepare() {
  window.__bench = { violations: [] };
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__bench.violations.push(event.blockedURI);
  });
  return { href: location.href, hasInternals: "__TAURI_INTERNALS__" in window };
}

async function invokeLatency({ command, calls, warmup }) {
  const { invoke } = window.__TAURI_INTERNALS__;
  for (let i = 0; i < warmup; i++) await invoke(command, { value: { seq: i, text: "ping" } });
  const pageSamples = [];
  await invoke("arrivals_reset");
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    const back = await invoke(command, { value: { seq: i, text: "ping" } });
    pageSamples.push(performance.now() - t);
    if (back.seq !== i) throw new Error(`echo returned ${JSON.stringify(back)}`);
  }
  const totalMs = performance.now() - start;
  // One round trip each, timed by the shell between consecutive arrivals (calls - 1 of them).
  const samples = await invoke("arrivals_take");
  return { samples, pageSamples, totalMs, calls };
}

async function bytesLoop({ kind, len, reps }) {
  const { invoke, transformCallback, unregisterCallback } = window.__TAURI_INTERNALS__;
  const data = new Uint8Array(len).fill(0x5a);
  // Through the custom protocol raw bytes arrive as an ArrayBuffer; through
  // postMessage, Tauri evaluates them into the page as a JSON array of numbers.
  const size = (x) => (x instanceof ArrayBuffer ? x.byteLength : Array.isArray(x) ? x.length : Number.NaN);
  const once = {
    // Shell → page: a raw ipc::Response.
    out: async () => size(await invoke("bytes_out", { len })),
    // Page → shell: a Uint8Array is sent as the raw request body.
    in: async () => invoke("bytes_in", data),
    // Both ways in one call.
    echo: async () => size(await invoke("bytes_echo", data)),
    // Shell → page as one raw channel message.
    channel: () =>
      new Promise((resolve, reject) => {
        const id = transformCallback((raw) => {
          if ("message" in raw) {
            unregisterCallback(id);
            resolve(size(raw.message));
          }
        });
        invoke("bytes_channel", { bytes: `__CHANNEL__:${id}`, len }).catch(reject);
      }),
  }[kind];
  const samples = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const got = await once();
    samples.push(performance.now() - t);
    if (got !== len) throw new Error(`${kind}: ${got} bytes, expected ${len}`);
  }
  return samples;
}

async function streamLoop({ via, batch, messages, reps }) {
  const { invoke, transformCallback, unregisterCallback } = window.__TAURI_INTERNALS__;
  const runs = [];
  for (let r = 0; r < reps; r++) {
    let received = 0;
    let lines = 0;
    let returnedMs = null;
    let stop = () => {};
    const start = performance.now();
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${via}: ${received} of ${messages} messages after 120 s`)),
        120_000,
      );
      const onMessage = (payload) => {
        received += 1;
        lines += payload.length;
        if (received === messages) {
          clearTimeout(timer);
          resolve();
        }
      };
      const started = (call) =>
        call.then(() => {
          returnedMs = performance.now() - start;
        }, reject);
      if (via === "channel") {
        const id = transformCallback((raw) => {
          if ("message" in raw) onMessage(raw.message);
        });
        stop = () => unregisterCallback(id);
        started(invoke("stream_channel", { lines: `__CHANNEL__:${id}`, messages, batchSize: batch }));
      } else {
        const handler = transformCallback((event) => onMessage(event.payload));
        invoke("plugin:event|listen", { event: "bench:lines", target: { kind: "Any" }, handler }).then(
          (eventId) => {
            stop = () => {
              window.__TAURI_EVENT_PLUGIN_INTERNALS__.unregisterListener("bench:lines", eventId);
              return invoke("plugin:event|unlisten", { event: "bench:lines", eventId });
            };
            // Timed from the listener being in place.
            started(invoke("stream_events", { messages, batchSize: batch }));
          },
          reject,
        );
      }
    });
    const ms = performance.now() - start;
    await stop();
    if (lines !== messages * batch) throw new Error(`${via}: ${lines} lines, expected ${messages * batch}`);
    runs.push({ ms, returnedMs, messages, lines });
  }
  return runs;
}

async function violations() {
  return window.__bench.violations;
}

// ---- The benchmark.

async function suite(session, label, { bytesPlan }) {
  const out = { label };
  out.page = await session.inPage(prepare);
  console.error(`[${label}] ${out.page.href}`);
  out.timerResolutionMs = await session.inPage(timerResolution);
  out.invoke = {};
  for (const command of ["echo", "echo_async"]) {
    console.error(`[${label}] invoke ${command} × ${plan.invoke.calls}`);
    out.invoke[command] = await session.inPage(invokeLatency, { command, ...plan.invoke });
  }
  out.bytes = {};
  for (const kind of ["out", "in", "echo", "channel"]) {
    console.error(`[${label}] 10 MB ${kind} × ${bytesPlan.reps}`);
    out.bytes[kind] = await session.inPage(bytesLoop, { kind, ...bytesPlan });
  }
  out.bytesLen = bytesPlan.len;
  out.streams = [];
  for (const via of ["channel", "event"]) {
    for (const [batch, messages] of plan.streams) {
      console.error(`[${label}] ${via}: ${messages} messages of ${batch} lines × ${plan.streamReps}`);
      const runs = await session.inPage(streamLoop, { via, batch, messages, reps: plan.streamReps });
      out.streams.push({ via, batch, messages, runs });
    }
  }
  out.cspViolations = await session.inPage(violations);
  return out;
}

const results = { plan, smoke };
const session = await openSession(opts.app);
try {
  results.userAgent = await session.inPage(async () => navigator.userAgent);

  // Linux's IPC today: fetch() to the ipc:// custom protocol (raw bodies, no JSON for bytes).
  results.customProtocol = await suite(session, "custom protocol", { bytesPlan: plan.bytes });

  // The same page with fetch() to ipc: forbidden by its CSP: Tauri's script falls back to
  // window.ipc.postMessage (what `linux-ipc-protocol` off meant before Tauri 2.0.0-rc.9).
  const current = await session.call("GET", "/url");
  await session.call("POST", "/url", { url: new URL("postmessage.html", current).href });
  results.postMessage = await suite(session, "postMessage", { bytesPlan: plan.bytesPostMessage });
} finally {
  await session.close();
}
writeFileSync(opts.out, `${JSON.stringify(results)}\n`);
console.error(`wrote ${opts.out}`);
