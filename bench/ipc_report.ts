// Turns the raw figures bench/ipc.ts collected in the webview into ipc.json
// (raw samples + summary + machine) and ipc.md (tables, aims, reading).
//
//   bun bench/ipc_report.ts --work <dir> --root <tree> --json <file> --md <file>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { desktopMachine, machineLine } from "./lib/machine.ts";
import { recordedLine, reportArgs, writeReport } from "./lib/report.ts";
import { mean, percentile, type Stats, stats } from "./lib/stats.ts";
import { fmt, table } from "./lib/table.ts";

interface StreamRun {
  ms: number;
  returnedMs: number | null;
  messages: number;
  lines: number;
}

interface RawSuite {
  label: string;
  page: { href: string; hasInternals: boolean };
  timerResolutionMs: number;
  invoke: Record<string, { samples: number[]; pageSamples?: number[]; totalMs: number; calls: number }>;
  bytes: Record<string, number[]>;
  bytesLen: number;
  streams: { via: string; batch: number; messages: number; runs: StreamRun[] }[];
  cspViolations: string[];
}

interface Raw {
  plan: unknown;
  smoke: boolean;
  userAgent: string | null;
  customProtocol: RawSuite;
  postMessage: RawSuite;
}

type InvokeSummary = Stats & {
  p50: number | null;
  p99: number | null;
  mean: number | null;
  page_mean: number;
  calls_per_s: number;
};
type BytesSummary = Stats & { mib: number; mib_per_s_median: number };
interface StreamSummary {
  via: string;
  batch: number;
  messages: number;
  messages_per_s: Stats | null;
  lines_per_s: Stats | null;
  ms: Stats | null;
}
interface SuiteSummary {
  timer_resolution_ms: number;
  invoke: Record<string, InvokeSummary>;
  bytes: Record<string, BytesSummary>;
  streams: StreamSummary[];
  csp_violations: number;
}

function summariseSuite(suite: RawSuite): SuiteSummary {
  const invoke: Record<string, InvokeSummary> = {};
  for (const [command, result] of Object.entries(suite.invoke)) {
    const samples = result.samples;
    invoke[command] = {
      ...(stats(samples) as Stats),
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      mean: mean(samples),
      // The page's own figure, at its clock's grain: total / calls.
      page_mean: result.totalMs / result.calls,
      calls_per_s: result.calls / (result.totalMs / 1000),
    };
  }
  const mib = suite.bytesLen / 2 ** 20;
  const bytes: Record<string, BytesSummary> = {};
  for (const [kind, samples] of Object.entries(suite.bytes)) {
    const st = stats(samples) as Stats;
    bytes[kind] = { ...st, mib, mib_per_s_median: mib / (st.median / 1000) };
  }
  const streams = suite.streams.map((stream) => ({
    via: stream.via,
    batch: stream.batch,
    messages: stream.messages,
    messages_per_s: stats(stream.runs.map((r) => r.messages / (r.ms / 1000))),
    lines_per_s: stats(stream.runs.map((r) => r.lines / (r.ms / 1000))),
    ms: stats(stream.runs.map((r) => r.ms)),
  }));
  return {
    timer_resolution_ms: suite.timerResolutionMs,
    invoke,
    bytes,
    streams,
    csp_violations: suite.cspViolations.length,
  };
}

const BYTES_LABEL: Record<string, string> = {
  out: "shell → page: raw `ipc::Response`",
  in: "page → shell: raw request body (`Uint8Array`)",
  echo: "both ways in one call (raw body in, raw `Response` out)",
  channel: "shell → page: one raw `Channel` message",
};
const COMMANDS = ["echo", "echo_async"] as const;
const KINDS = ["out", "in", "echo", "channel"] as const;

const ms3 = (x: number | null | undefined) => fmt(x, 3);

function render(data: {
  machine: ReturnType<typeof desktopMachine>;
  smoke: boolean;
  summary: { custom_protocol: SuiteSummary; post_message: SuiteSummary };
}): string {
  const m = data.machine;
  const cp = data.summary.custom_protocol;
  const pm = data.summary.post_message;
  const stream = (suite: SuiteSummary, via: string, batch: number) =>
    suite.streams.find((s) => s.via === via && s.batch === batch);
  const out: string[] = [];
  const add = (...lines: string[]) => out.push(...lines);

  add("# IPC benchmark (UI ↔ shell, in the real webview)", "");
  // A smoke run says so first: its figures are one tiny repetition each.
  if (data.smoke)
    add(
      "**Smoke run** (a few repetitions of each): checks the benchmark works; the figures mean nothing.",
      "",
    );
  add(
    recordedLine(m, "bash bench/ipc.sh"),
    "",
    machineLine(m),
    "",
    "The release build of the empty Tauri app (`bench/baselines/empty-tauri`: the benchmark's commands live there, " +
      "not in Runbook) in WebKitGTK under Xvfb, started through tauri-driver and driven with WebdriverIO. Every loop " +
      "runs inside the page with `window.__TAURI_INTERNALS__` (what `@tauri-apps/api` calls) and " +
      "`performance.now()`; WebDriver only starts each loop and collects its figures. Milliseconds unless stated; " +
      `p90/p99 nearest-rank. WebKit's \`performance.now()\` ticks in ${fmt(cp.timer_resolution_ms, 3)} ms steps ` +
      "here, too coarse for one small invoke, so those are timed by the shell: the page calls again as soon as an " +
      "answer arrives, and the `echo` command notes each arrival (`Instant`), so the time between two arrivals is " +
      "one whole round trip (answer to the page, the page's turn, request back to the command). The page's own " +
      "mean (its total time / calls) checks it.",
    "",
    "**`linux-ipc-protocol` on and off.** Tauri 2.12.5 has no such feature: it was removed in 2.0.0-rc.9, since " +
      "when Linux always sends IPC through `fetch()` to the `ipc://` custom protocol (raw bodies; responses in the " +
      "HTTP response) and falls back to `window.ipc.postMessage` (JSON only; responses evaluated into the page as " +
      "script) only if that fetch fails. The old *off* is therefore measured as that fallback: the same app, on a " +
      "page (`postmessage.html`) whose CSP forbids `connect-src` to `ipc:`, so Tauri's first fetch fails and every " +
      `call after it goes through postMessage (CSP violations seen there: ${pm.csp_violations}; on the normal ` +
      `page: ${cp.csp_violations}).`,
    "",
  );

  const aims: string[][] = [];
  for (const command of COMMANDS) {
    const a = cp.invoke[command];
    const b = pm.invoke[command];
    aims.push([
      `small invoke \`${command}\` round trip p50 / p99 (ms)`,
      `${ms3(a?.p50)} / ${ms3(a?.p99)}`,
      `${ms3(b?.p50)} / ${ms3(b?.p99)}`,
    ]);
  }
  for (const kind of KINDS) {
    const a = cp.bytes[kind];
    const b = pm.bytes[kind];
    aims.push([
      `10 MiB ${BYTES_LABEL[kind]}, median ms (MiB/s)`,
      `${fmt(a?.median)} (${fmt(a?.mib_per_s_median)})`,
      `${fmt(b?.median)} (${fmt(b?.mib_per_s_median)})`,
    ]);
  }
  const rates = (s: StreamSummary | undefined) =>
    `${fmt(s?.messages_per_s?.median)} (${fmt(s?.lines_per_s?.median)})`;
  for (const a of cp.streams) {
    aims.push([
      `${a.via} throughput, ${a.batch} line(s) per message: messages/s (lines/s)`,
      rates(a),
      rates(stream(pm, a.via, a.batch)),
    ]);
  }
  add(
    "## Aims",
    "",
    "The issue sets no number for IPC; these are the figures it asks for.",
    "",
    table(["figure", "custom protocol (today)", "postMessage (old *off*)"], aims),
    "",
  );

  for (const [title, suite] of [
    ["custom protocol (today)", cp],
    ["postMessage (old `linux-ipc-protocol` off)", pm],
  ] as const) {
    add(
      `## Figures: ${title}`,
      "",
      table(
        ["measurement", "n", "p50", "p90", "p99", "min", "max", "mean", "page's mean", "calls/s"],
        Object.entries(suite.invoke).map(([command, st]) => [
          `small invoke \`${command}\` (\`{seq, text}\` in and back)`,
          String(st.n),
          ...[st.p50, st.p90, st.p99, st.min, st.max, st.mean, st.page_mean].map(ms3),
          fmt(st.calls_per_s),
        ]),
      ),
      "",
      table(
        ["10 MiB payload", "n", "median", "p90", "min", "max", "MiB/s (median)"],
        Object.entries(suite.bytes).map(([kind, st]) => [
          BYTES_LABEL[kind] ?? kind,
          String(st.n),
          st.median,
          st.p90,
          st.min,
          st.max,
          st.mib_per_s_median,
        ]),
      ),
      "",
      table(
        [
          "stream (lines of ~100 bytes of JSON each)",
          "messages × reps",
          "messages/s median",
          "p90",
          "min",
          "max",
          "lines/s median",
        ],
        suite.streams.map((st) => {
          const r = st.messages_per_s;
          return [
            `${st.via}, ${st.batch} line(s) per message`,
            `${st.messages} × ${r?.n ?? 0}`,
            r?.median,
            r?.p90,
            r?.min,
            r?.max,
            st.lines_per_s?.median,
          ];
        }),
      ),
      "",
      "(For throughput, p90 is of the rate, so it is the *faster* tail.)",
      "",
    );
  }

  const echo = cp.invoke.echo;
  const echoPm = pm.invoke.echo;
  const bytes = (suite: SuiteSummary, kind: string) => suite.bytes[kind];
  const lines = (suite: SuiteSummary, via: string, batch: number) =>
    fmt(stream(suite, via, batch)?.lines_per_s?.median);
  const messages = (suite: SuiteSummary, via: string, batch: number) =>
    fmt(stream(suite, via, batch)?.messages_per_s?.median);
  add(
    "## Where the time goes",
    "",
    "**Small calls.** Through the custom protocol a call is a `fetch()` from the web process to " +
      "`ipc://localhost` (WebKit's URL-scheme handler in the shell, a `Response`, a promise), against one WebKit " +
      "message each way plus one script evaluation through postMessage: a round trip p50 of " +
      `${ms3(echo?.p50)} ms against ${ms3(echoPm?.p50)} ms (means ${ms3(echo?.mean)} and ${ms3(echoPm?.mean)}). ` +
      "A synchronous command runs on the main thread, an async one on the runtime's threads (`echo_async`: " +
      `p50 ${ms3(cp.invoke.echo_async?.p50)} ms and ${ms3(pm.invoke.echo_async?.p50)} ms).`,
    "",
    "**Bytes.** 10 MiB from the shell take " +
      `${fmt(bytes(cp, "out")?.median)} ms as an \`ipc::Response\` (${fmt(bytes(cp, "out")?.mib_per_s_median)} ` +
      `MiB/s) against ${fmt(bytes(pm, "out")?.median)} ms through postMessage, where Tauri writes the bytes into ` +
      "a script as a JSON array of numbers and WebKit parses it into a JavaScript array (not an `ArrayBuffer`). " +
      `Upload: a \`Uint8Array\` body arrives in ${fmt(bytes(cp, "in")?.median)} ms ` +
      `(${fmt(bytes(cp, "in")?.mib_per_s_median)} MiB/s) against ${fmt(bytes(pm, "in")?.median)} ms, since ` +
      "postMessage turns it into JSON in the page and back in the shell. A raw channel message is fetched the " +
      `way a raw response is (${fmt(bytes(cp, "channel")?.median)} ms against ` +
      `${fmt(bytes(cp, "out")?.median)} ms).`,
    "",
    "**Streams: messages cost more than bytes, and 8 KiB is a step.** A channel message of up to 8 KiB of JSON " +
      "is evaluated straight into the page; a larger one is announced and then fetched back through the IPC. " +
      "Lines here are ~100 bytes of JSON, so 1 and 10 lines per message stay under the step " +
      `(${messages(cp, "channel", 1)} and ${messages(cp, "channel", 10)} messages/s, i.e. ` +
      `${lines(cp, "channel", 1)} and ${lines(cp, "channel", 10)} lines/s) and 100 lines cross it ` +
      `(${messages(cp, "channel", 100)} messages/s, ${lines(cp, "channel", 100)} lines/s); 1000 lines per ` +
      `message carry ${lines(cp, "channel", 1000)} lines/s. Events are always evaluated into the page as ` +
      `script, whatever their size: ${messages(cp, "event", 1)} one-line events/s, ` +
      `${lines(cp, "event", 1000)} lines/s in 1000-line batches. So batch small items (log lines, progress), as ` +
      "the supervisor's `sidecar:log` batches do, and prefer a channel to an event for a stream meant for one " +
      "window.",
    "",
    "With postMessage the large channel messages are fetched through postMessage too: " +
      `${lines(pm, "channel", 100)} lines/s at 100 lines per message against ${lines(cp, "channel", 100)} ` +
      "through the custom protocol. The custom protocol matters for binary payloads, which postMessage " +
      "turns into JSON.",
    "",
  );
  return out.join("\n");
}

const args = reportArgs("ipc_report", { root: true });
const raw = JSON.parse(readFileSync(join(args.work, "raw.json"), "utf8")) as Raw;
// The page's per-call times are at its 1 ms clock grain: only their mean is kept.
for (const suite of [raw.customProtocol, raw.postMessage]) {
  for (const result of Object.values(suite.invoke)) {
    delete result.pageSamples;
    result.samples = result.samples.map((x) => Math.round(x * 1e4) / 1e4);
  }
}
const data = {
  machine: desktopMachine(args.work, args.root, { user_agent: raw.userAgent }),
  smoke: raw.smoke,
  plan: raw.plan,
  summary: {
    custom_protocol: summariseSuite(raw.customProtocol),
    post_message: summariseSuite(raw.postMessage),
  },
  raw,
};
writeReport(args, data, render(data));
