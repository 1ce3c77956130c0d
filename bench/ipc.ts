// The UI ↔ shell IPC benchmark, run inside the real webview: the release
// build of the empty Tauri app (bench/baselines/empty-tauri, which carries the
// benchmark's commands) is started through tauri-driver, and every timing
// loop runs in its page (WebDriver only starts a loop and collects its
// figures). Run by bench/ipc.sh; writes the raw figures as JSON to --out.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type DriverSession, openDriverSession } from "@convoy/testing";
import { inPage, preparePage, timerResolution, userAgent } from "./lib/page.ts";

type Browser = DriverSession["browser"];

const { values: opts } = parseArgs({
  options: {
    app: { type: "string" },
    out: { type: "string" },
    smoke: { type: "boolean", default: false },
  },
});
if (!opts.app || !opts.out) {
  console.error("usage: bun bench/ipc.ts --app <empty-tauri binary> --out <file.json> [--smoke]");
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
  streams: (smoke
    ? [
        [1, 200],
        [100, 20],
      ]
    : [
        [1, 5000],
        [10, 2000],
        [100, 200],
        [1000, 20],
      ]) as [batch: number, messages: number][],
  streamReps: smoke ? 1 : 5,
};

type BytesKind = "out" | "in" | "echo" | "channel";
type Via = "channel" | "event";

// ---- What runs in the page. Each function is self-contained: it is sent as source.

/** Sets up what the other functions use: a log of CSP violations (the postMessage page's). */
async function prepare() {
  window.__bench = { violations: [] };
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__bench.violations.push(event.blockedURI);
  });
  return { href: location.href, hasInternals: "__TAURI_INTERNALS__" in window };
}

async function invokeLatency({ command, calls, warmup }: { command: string; calls: number; warmup: number }) {
  const { invoke } = window.__TAURI_INTERNALS__;
  for (let i = 0; i < warmup; i++) await invoke(command, { value: { seq: i, text: "ping" } });
  const pageSamples: number[] = [];
  await invoke("arrivals_reset");
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    const back = await invoke<{ seq: number }>(command, { value: { seq: i, text: "ping" } });
    pageSamples.push(performance.now() - t);
    if (back.seq !== i) throw new Error(`echo returned ${JSON.stringify(back)}`);
  }
  const totalMs = performance.now() - start;
  // One round trip each, timed by the shell between consecutive arrivals (calls - 1 of them).
  const samples = await invoke<number[]>("arrivals_take");
  return { samples, pageSamples, totalMs, calls };
}

async function bytesLoop({ kind, len, reps }: { kind: BytesKind; len: number; reps: number }) {
  const { invoke, transformCallback, unregisterCallback } = window.__TAURI_INTERNALS__;
  const data = new Uint8Array(len).fill(0x5a);
  // Through the custom protocol raw bytes arrive as an ArrayBuffer; through
  // postMessage, Tauri evaluates them into the page as a JSON array of numbers.
  const size = (x: unknown) =>
    x instanceof ArrayBuffer ? x.byteLength : Array.isArray(x) ? x.length : Number.NaN;
  const once = {
    // Shell → page: a raw ipc::Response.
    out: async () => size(await invoke("bytes_out", { len })),
    // Page → shell: a Uint8Array is sent as the raw request body.
    in: async () => invoke<number>("bytes_in", data),
    // Both ways in one call.
    echo: async () => size(await invoke("bytes_echo", data)),
    // Shell → page as one raw channel message.
    channel: () =>
      new Promise<number>((resolve, reject) => {
        const id = transformCallback<{ message: unknown }>((raw) => {
          if ("message" in raw) {
            unregisterCallback(id);
            resolve(size(raw.message));
          }
        });
        invoke("bytes_channel", { bytes: `__CHANNEL__:${id}`, len }).catch(reject);
      }),
  }[kind];
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const got = await once();
    samples.push(performance.now() - t);
    if (got !== len) throw new Error(`${kind}: ${got} bytes, expected ${len}`);
  }
  return samples;
}

async function streamLoop({
  via,
  batch,
  messages,
  reps,
}: {
  via: Via;
  batch: number;
  messages: number;
  reps: number;
}) {
  const { invoke, transformCallback, unregisterCallback } = window.__TAURI_INTERNALS__;
  const runs: { ms: number; returnedMs: number | null; messages: number; lines: number }[] = [];
  for (let r = 0; r < reps; r++) {
    let received = 0;
    let lines = 0;
    let returnedMs: number | null = null;
    let stop: () => unknown = () => {};
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${via}: ${received} of ${messages} messages after 100 s`)),
        100_000,
      );
      const onMessage = (payload: unknown[]) => {
        received += 1;
        lines += payload.length;
        if (received === messages) {
          clearTimeout(timer);
          resolve();
        }
      };
      const started = (call: Promise<unknown>) =>
        call.then(() => {
          returnedMs = performance.now() - start;
        }, reject);
      if (via === "channel") {
        const id = transformCallback<{ message: unknown[] }>((raw) => {
          if ("message" in raw) onMessage(raw.message);
        });
        stop = () => unregisterCallback(id);
        started(invoke("stream_channel", { lines: `__CHANNEL__:${id}`, messages, batchSize: batch }));
      } else {
        const handler = transformCallback<{ payload: unknown[] }>((event) => onMessage(event.payload));
        invoke<number>("plugin:event|listen", {
          event: "bench:lines",
          target: { kind: "Any" },
          handler,
        }).then((eventId) => {
          stop = () => {
            window.__TAURI_EVENT_PLUGIN_INTERNALS__.unregisterListener("bench:lines", eventId);
            return invoke("plugin:event|unlisten", { event: "bench:lines", eventId });
          };
          // Timed from the listener being in place.
          started(invoke("stream_events", { messages, batchSize: batch }));
        }, reject);
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

async function suite(browser: Browser, label: string, bytesPlan: { len: number; reps: number }) {
  const page = await inPage(browser, prepare);
  console.error(`[${label}] ${page.href}`);
  const timerResolutionMs = await inPage(browser, timerResolution);
  const invoke: Record<string, Awaited<ReturnType<typeof invokeLatency>>> = {};
  for (const command of ["echo", "echo_async"]) {
    console.error(`[${label}] invoke ${command} × ${plan.invoke.calls}`);
    invoke[command] = await inPage(browser, invokeLatency, { command, ...plan.invoke });
  }
  const bytes: Partial<Record<BytesKind, number[]>> = {};
  for (const kind of ["out", "in", "echo", "channel"] as const) {
    console.error(`[${label}] 10 MB ${kind} × ${bytesPlan.reps}`);
    bytes[kind] = await inPage(browser, bytesLoop, { kind, ...bytesPlan });
  }
  const streams = [];
  for (const via of ["channel", "event"] as const) {
    for (const [batch, messages] of plan.streams) {
      console.error(`[${label}] ${via}: ${messages} messages of ${batch} lines × ${plan.streamReps}`);
      const runs = await inPage(browser, streamLoop, { via, batch, messages, reps: plan.streamReps });
      streams.push({ via, batch, messages, runs });
    }
  }
  const cspViolations = await inPage(browser, violations);
  return { label, page, timerResolutionMs, invoke, bytes, bytesLen: bytesPlan.len, streams, cspViolations };
}

const session = await openDriverSession({ binary: opts.app });
let results: Record<string, unknown>;
try {
  const { browser } = session;
  await preparePage(browser);
  const agent = await inPage(browser, userAgent);

  // Linux's IPC today: fetch() to the ipc:// custom protocol (raw bodies, no JSON for bytes).
  const customProtocol = await suite(browser, "custom protocol", plan.bytes);

  // The same page with fetch() to ipc: forbidden by its CSP: Tauri's script falls back to
  // window.ipc.postMessage (what `linux-ipc-protocol` off meant before Tauri 2.0.0-rc.9).
  await browser.url(new URL("postmessage.html", await browser.getUrl()).href);
  const postMessage = await suite(browser, "postMessage", plan.bytesPostMessage);
  results = { plan, smoke, userAgent: agent, customProtocol, postMessage };
} finally {
  await session.close();
}
writeFileSync(opts.out, `${JSON.stringify(results)}\n`);
console.error(`wrote ${opts.out}`);
