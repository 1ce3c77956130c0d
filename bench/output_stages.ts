/**
 * Where a job line's time goes before it reaches the webview: the real
 * redis-server, migrate, api and worker roles (`bun src/main.ts <role>`), a
 * job queued over HTTP that prints lines carrying the wall-clock time they
 * were printed, and a client following its output with the UI's own long
 * poll. Per line it notes three stages:
 *
 * - printed → written: the worker's XADD (the stream entry's id is the
 *   worker's clock when it wrote the entry, in ms);
 * - written → answered: the api's long poll waking and answering;
 * - printed → answered: the whole path up to the page's `fetch` (bench/ui.sh
 *   adds the webview's fetch and render to it).
 *
 * Prints a Markdown table per interval (n, p50, p90, p99, mean); records nothing.
 *
 *   bun bench/output_stages.ts [--lines 200] [--interval-ms 20] [--runs 2]
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import { freePort } from "@convoy/testing";
import { timedLinesCommand } from "./lib/jobs.ts";
import { mean, percentile } from "./lib/stats.ts";
import { table } from "./lib/table.ts";

const { values: args } = parseArgs({
  options: {
    lines: { type: "string", default: "200" },
    "interval-ms": { type: "string", default: "20" },
    runs: { type: "string", default: "2" },
  },
});
const lines = Number(args.lines);
const intervals = String(args["interval-ms"]).split(",").map(Number);
const runs = Number(args.runs);
const SIDECAR = join(import.meta.dir, "../apps/runbook/sidecar");
const TOKEN = "s".repeat(64);

const children: ReturnType<typeof Bun.spawn>[] = [];
function start(role: string, env: Record<string, string>) {
  const child = Bun.spawn([process.execPath, "src/main.ts", role], {
    cwd: SIDECAR,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "ignore",
  });
  children.push(child);
  return child;
}
async function ready(child: ReturnType<typeof start>, pattern: RegExp): Promise<void> {
  const decoder = new TextDecoder();
  let text = "";
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  const deadline = Date.now() + 20_000;
  while (!pattern.test(text)) {
    if (Date.now() > deadline) throw new Error(`not ready: ${pattern}`);
    const { done, value } = await reader.read();
    if (done) throw new Error(`exited before ${pattern}`);
    text += decoder.decode(value, { stream: true });
  }
  // The rest of its stdout is read and dropped, so its pipe never fills.
  void (async () => {
    for (;;) if ((await reader.read()).done) return;
  })();
}

/** One row per stage: n, p50, p90, p99 (nearest rank) and the mean, in ms. */
function stagesTable(stages: [name: string, samples: number[]][]): string {
  return table(
    ["stage", "n", "p50", "p90", "p99", "mean"],
    stages.map(([name, samples]) => [
      name,
      String(samples.length),
      percentile(samples, 50),
      percentile(samples, 90),
      percentile(samples, 99),
      mean(samples),
    ]),
  );
}

const server = await RedisServer.start();
const dataDir = mkdtempSync(join(tmpdir(), "runbook-stages-"));
try {
  const valkeyEnv = { CONVOY_VALKEY_SOCKET: server.socket, CONVOY_VALKEY_PASSWORD: server.password };
  const migrate = start("migrate", { CONVOY_DATA_DIR: dataDir });
  if ((await migrate.exited) !== 0) throw new Error("migrate failed");
  const port = await freePort();
  const api = start("api", {
    CONVOY_DATA_DIR: dataDir,
    CONVOY_API_PORT: String(port),
    CONVOY_API_TOKEN: TOKEN,
    ...valkeyEnv,
  });
  await ready(api, /^convoy:ready port=\d+\n/m);
  const worker = start("worker", {
    CONVOY_DATA_DIR: mkdtempSync(join(tmpdir(), "runbook-stages-w-")),
    ...valkeyEnv,
  });
  await ready(worker, /^convoy:ready worker\n/m);
  const base = `http://127.0.0.1:${port}`;
  const headers = { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" };

  for (const intervalMs of intervals) {
    const written: number[] = [];
    const answered: number[] = [];
    const whole: number[] = [];
    for (let run = 0; run < runs; run++) {
      const command = timedLinesCommand({ lines, intervalMs });
      const created = await fetch(`${base}/jobs`, {
        method: "POST",
        headers,
        body: JSON.stringify({ command }),
      });
      if (created.status !== 201 && created.status !== 202) throw new Error(`POST /jobs: ${created.status}`);
      const { id } = (await created.json()) as { id: string };
      let after = "0";
      let pending = "";
      for (;;) {
        const response = await fetch(`${base}/jobs/${id}/output?after=${after}&wait=15000&limit=1000`, {
          headers,
        });
        const at = performance.timeOrigin + performance.now();
        const page = (await response.json()) as {
          chunks: { stream: string; text: string }[];
          cursor: string;
          end: boolean;
        };
        const entryMs = Number(page.cursor.split("-")[0]);
        pending += page.chunks.map((chunk) => chunk.text).join("");
        const parts = pending.split("\n");
        pending = parts.pop() ?? "";
        for (const line of parts) {
          const match = /^t (\d+) (\d+)$/.exec(line);
          if (!match) continue;
          const printed = Number(match[2]) / 1000;
          // The entry id is at ms grain: a line can look written up to 1 ms early.
          written.push(Math.max(0, entryMs - printed));
          answered.push(at - entryMs);
          whole.push(at - printed);
        }
        after = page.cursor;
        if (page.end) break;
      }
    }
    console.log(`\nLines ${intervalMs} ms apart, ${runs} × ${lines} (ms):\n`);
    console.log(
      stagesTable([
        ["printed → XADD (worker)", written],
        ["XADD → long poll answered (api)", answered],
        ["printed → answered", whole],
      ]),
    );
  }
} finally {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((child) => child.exited));
  await server.dispose();
  rmSync(dataDir, { recursive: true, force: true });
}
