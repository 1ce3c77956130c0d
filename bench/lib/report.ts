/**
 * What every report takes and writes: `--work` (the benchmark's working dir,
 * holding its raw figures and the load averages its script saved), `--json`
 * and `--md` (where the record goes), `--root` (the tree) for those that read
 * it, and any options of its own.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

const BASE = {
  work: { type: "string" },
  json: { type: "string" },
  md: { type: "string" },
  root: { type: "string" },
} as const satisfies Options;

/**
 * Parses the command line: the options every report takes and `extra`, its
 * own (typed in `values`). A missing or unknown option exits with a message
 * saying which (status 2).
 */
export function reportArgs<const Extra extends Options = Record<never, never>>(
  name: string,
  { root = false, extra }: { root?: boolean; extra?: Extra } = {},
) {
  const config = { options: { ...BASE, ...(extra as Extra) }, allowPositionals: true } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    usage(name, (error as Error).message);
  }
  const values = parsed.values as Record<string, unknown>;
  const required = ["work", "json", "md", ...(root ? ["root"] : [])];
  for (const key of required) if (typeof values[key] !== "string") usage(name, `--${key} is required`);
  return {
    work: resolve(values.work as string),
    root: resolve((values.root as string | undefined) ?? "."),
    json: resolve(values.json as string),
    md: resolve(values.md as string),
    values: parsed.values,
    positionals: parsed.positionals,
  };
}

function usage(name: string, message: string): never {
  process.stderr.write(
    `${name}: ${message} (usage: --work <dir> --json <file> --md <file> [--root <tree>] ...)\n`,
  );
  process.exit(2);
}

/** Writes the record: `data` as JSON (2-space indent, a final newline) and the Markdown. */
export function writeReport(args: { json: string; md: string }, data: unknown, markdown: string): void {
  writeFileSync(args.json, `${JSON.stringify(data, null, 2)}\n`);
  writeFileSync(args.md, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
}

/**
 * The line every report opens with after its title: when, by which command
 * and at which commit it was recorded (summary.ts reads it back).
 */
export function recordedLine(machine: { date: string; git_head: string | null }, command: string): string {
  return `Recorded ${machine.date} by \`${command}\` at commit ${machine.git_head} (plus any uncommitted changes in the working tree).`;
}

/**
 * A driver's required option: its value, or exit 2 with a message naming it
 * (`script` is the file the message comes from).
 */
export function requiredOption(script: string, values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") {
    process.stderr.write(`${script}: --${name} is required (see the comment at its top)\n`);
    process.exit(2);
  }
  return value;
}
