/**
 * Writes <results>/summary.md: every benchmark's aims table, one after
 * another, each with its recording date and a link to its full report. Run by
 * run.sh after the benchmarks; reads only the reports they wrote.
 *
 *   bun bench/summary.ts --results bench/results supervisor api coldstart ...
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const TITLES: Record<string, string> = {
  supervisor: "Supervisor: crash → ready again, launch → all sidecars ready",
  api: "api: requests/s of a SQLite-backed read against a bare Bun.serve",
  coldstart: "Sidecar cold start against FastAPI/uvicorn",
  startup: "Start-up against an empty Tauri app",
  memory: "Memory (Pss) against an empty Tauri app",
  ipc: "UI ↔ shell IPC in the real webview",
  ui: "UI ↔ api, and job output → UI, in the real webview",
};

/** The body of `## heading` up to the next `## ` (trimmed), or null. */
function section(text: string, heading: string): string | null {
  const lines = text.split("\n");
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) return null;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith("## "));
  return (end < 0 ? rest : rest.slice(0, end)).join("\n").trim();
}

/** One benchmark's part: its title, when and how it was recorded, and its aims table. */
function part(results: string, name: string): string[] {
  const title = [`## ${TITLES[name] ?? name}`, ""];
  const path = join(results, `${name}.md`);
  if (!existsSync(path)) return [...title, "Not recorded yet.", ""];
  const text = readFileSync(path, "utf8");
  const recorded = /^Recorded (\S+) by `([^`]+)` at commit (\S+)/m.exec(text);
  const link = `Full report: [${name}.md](${name}.md).`;
  return [
    ...title,
    recorded ? `Recorded ${recorded[1]} (\`${recorded[2]}\`, commit ${recorded[3]}). ${link}` : link,
    "",
    section(text, "Aims") || "(no aims table)",
    "",
  ];
}

const { values, positionals } = parseArgs({
  options: { results: { type: "string" } },
  allowPositionals: true,
});
if (values.results === undefined || positionals.length === 0) {
  process.stderr.write("usage: bun bench/summary.ts --results <dir> <name>...\n");
  process.exit(2);
}
const results = values.results;
const out = [
  "# Benchmark summary",
  "",
  "Each benchmark's aims, as its last recorded run measured them; medians over repeated runs on a " +
    "shared machine, each against a baseline measured in the same run. The full tables, the machine, " +
    "and where the time (or memory) goes are in each report.",
  "",
  ...positionals.flatMap((name) => part(results, name)),
];
writeFileSync(join(results, "summary.md"), out.join("\n"));
