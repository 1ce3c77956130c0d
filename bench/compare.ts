/**
 * Two records of one benchmark, figure by figure: every number both hold at
 * the same place (under `summary`, or the whole record when it has none),
 * with the change. For reading a rerun against the committed record:
 *
 *   bun bench/compare.ts <before.json> <after.json> [--min-change 10]
 *
 * prints a Markdown table of the figures that moved by at least
 * `--min-change` percent (default 0: all), and how many did not.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { table } from "./lib/table.ts";

const { values, positionals } = parseArgs({
  options: { "min-change": { type: "string", default: "0" } },
  allowPositionals: true,
});
const [beforePath, afterPath] = positionals;
if (beforePath === undefined || afterPath === undefined) {
  process.stderr.write("usage: bun bench/compare.ts <before.json> <after.json> [--min-change <percent>]\n");
  process.exit(2);
}
const minChange = Number(values["min-change"]);

/** Every number in `value`, by its path (`a.b.0.c`). */
function figures(value: unknown, path = "", out = new Map<string, number>()): Map<string, number> {
  if (typeof value === "number" && Number.isFinite(value)) out.set(path, value);
  else if (value !== null && typeof value === "object")
    for (const [key, child] of Object.entries(value))
      figures(child, path === "" ? key : `${path}.${key}`, out);
  return out;
}

const read = (path: string) => {
  const record = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  return figures("summary" in record ? record.summary : record);
};
const before = read(beforePath);
const after = read(afterPath);
const rows: (string | number)[][] = [];
let steady = 0;
for (const [path, old] of before) {
  const now = after.get(path);
  if (now === undefined) continue;
  const change = old === 0 ? (now === 0 ? 0 : Number.POSITIVE_INFINITY) : ((now - old) / Math.abs(old)) * 100;
  if (Math.abs(change) < minChange) steady += 1;
  else
    rows.push([
      path,
      old,
      now,
      Number.isFinite(change) ? `${change > 0 ? "+" : ""}${change.toFixed(0)}%` : "new",
    ]);
}
const onlyBefore = [...before.keys()].filter((path) => !after.has(path));
const onlyAfter = [...after.keys()].filter((path) => !before.has(path));
console.log(table(["figure", "before", "after", "change"], rows));
console.log(
  `\n${rows.length} figures moved by ${minChange}% or more, ${steady} by less; ` +
    `${onlyBefore.length} only before (${onlyBefore.slice(0, 5).join(", ")}), ${onlyAfter.length} only after (${onlyAfter.slice(0, 5).join(", ")}).`,
);
