// The UI ↔ shell IPC benchmark, run inside the real webview: the release
// build of the empty Tauri app (bench/baselines/empty-tauri, which carries the
// benchmark's commands) is started through tauri-driver, and every timing
// loop runs in its page (WebDriver only starts a loop and collects its
// figures). Run by bench/ipc.sh; writes the raw figures as JSON to --out.
//
// Plain WebDriver over HTTP (tauri-driver speaks W3C WebDriver), so the
// benchmark needs no client library.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { parseArgs } from "node:util";

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

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const port = await freePort();
const nativePort = await freePort();
const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
  stdio: ["ignore", "ignore", "inherit"],
});
const base = `http://127.0.0.1:${port}`;

async function webdriver(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

/** Runs `fn(arg)` (an async function, serialised by its source) in the page and returns its result. */
async function inPage(session, fn, arg) {
  const script = `const done = arguments[arguments.length - 1];
(${fn.toString()})(arguments[0]).then(
  (value) => done(JSON.stringify({ ok: true, value })),
  (error) => done(JSON.stringify({ ok: false, error: \`\${error}\n\${(error && error.stack) || ""}\` })),
);`;
  const raw = await webdriver("POST", `/session/${session}/execute/async`, { script, args: [arg ?? null] });
  const result = JSON.parse(raw);
  if (!result.ok) throw new Error(`in the page: ${result.error}`);
  return result.value;
}

// ---- What runs in the page. Each function is self-contained: it is sent as source.

/** The timer's resolution: WebKit coarsens performance.now(). */
async function timerResolution() {
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20000; i++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    smallest = Math.min(smallest, b - a);
  }
  return smallest;
}

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
  out.page = await inPage(session, prepare);
  console.error(`[${label}] ${out.page.href}`);
  out.timerResolutionMs = await inPage(session, timerResolution);
  out.invoke = {};
  for (const command of ["echo", "echo_async"]) {
    console.error(`[${label}] invoke ${command} × ${plan.invoke.calls}`);
    out.invoke[command] = await inPage(session, invokeLatency, { command, ...plan.invoke });
  }
  out.bytes = {};
  for (const kind of ["out", "in", "echo", "channel"]) {
    console.error(`[${label}] 10 MB ${kind} × ${bytesPlan.reps}`);
    out.bytes[kind] = await inPage(session, bytesLoop, { kind, ...bytesPlan });
  }
  out.bytesLen = bytesPlan.len;
  out.streams = [];
  for (const via of ["channel", "event"]) {
    for (const [batch, messages] of plan.streams) {
      console.error(`[${label}] ${via}: ${messages} messages of ${batch} lines × ${plan.streamReps}`);
      const runs = await inPage(session, streamLoop, { via, batch, messages, reps: plan.streamReps });
      out.streams.push({ via, batch, messages, runs });
    }
  }
  out.cspViolations = await inPage(session, violations);
  return out;
}

let session = null;
const results = { plan, smoke };
try {
  await waitFor(
    () =>
      fetch(`${base}/status`).then(
        () => true,
        () => false,
      ),
    15_000,
    "tauri-driver",
  );
  const created = await webdriver("POST", "/session", {
    capabilities: { alwaysMatch: { "tauri:options": { application: opts.app } } },
  });
  session = created.sessionId;
  await webdriver("POST", `/session/${session}/timeouts`, { script: 600_000 });
  results.userAgent = await inPage(session, async () => navigator.userAgent);

  // Linux's IPC today: fetch() to the ipc:// custom protocol (raw bodies, no JSON for bytes).
  results.customProtocol = await suite(session, "custom protocol", { bytesPlan: plan.bytes });

  // The same page with fetch() to ipc: forbidden by its CSP: Tauri's script falls back to
  // window.ipc.postMessage (what `linux-ipc-protocol` off meant before Tauri 2.0.0-rc.9).
  const current = await webdriver("GET", `/session/${session}/url`);
  await webdriver("POST", `/session/${session}/url`, { url: new URL("postmessage.html", current).href });
  results.postMessage = await suite(session, "postMessage", { bytesPlan: plan.bytesPostMessage });
} finally {
  if (session) await webdriver("DELETE", `/session/${session}`).catch(() => {});
  driver.kill("SIGTERM");
}
writeFileSync(opts.out, `${JSON.stringify(results)}\n`);
console.error(`wrote ${opts.out}`);
