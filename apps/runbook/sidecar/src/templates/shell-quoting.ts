/**
 * Where each `{{name}}` of a template's command stands in POSIX sh's quoting,
 * so that it can be replaced by a reference to an environment variable that
 * the shell expands as exactly one word, never splitting, globbing or
 * parsing the value:
 *   outside quotes  `{{x}}`    → `"${RUNBOOK_PARAM_x}"`
 *   inside "…"      `"a{{x}}"` → `"a${RUNBOOK_PARAM_x}"` (already quoted)
 *   inside '…'      refused: nothing expands there, so the value could not arrive.
 * `$( … )` and backticks open a fresh unquoted context, inside quotes or not.
 */

export type Quoting = "unquoted" | "double" | "single";

export interface PlaceholderSite {
  name: string;
  start: number;
  end: number;
  quoting: Quoting;
}

/** `{{ name }}`, spaces allowed inside the braces. */
const PLACEHOLDER = String.raw`\{\{\s*([^{}]*?)\s*\}\}`;
/** Matched only where the scan stands. */
const PLACEHOLDER_AT = new RegExp(PLACEHOLDER, "y");

type Frame =
  | { kind: "unquoted" }
  | { kind: "double" }
  | { kind: "substitution"; depth: number }
  | { kind: "backtick" };

export function placeholderSites(command: string): PlaceholderSite[] {
  const sites: PlaceholderSite[] = [];
  const frames: Frame[] = [{ kind: "unquoted" }];
  let i = 0;
  while (i < command.length) {
    const frame = frames[frames.length - 1] ?? { kind: "unquoted" };
    PLACEHOLDER_AT.lastIndex = i;
    const placeholder = PLACEHOLDER_AT.exec(command);
    if (placeholder) {
      const quoting: Quoting = frame.kind === "double" ? "double" : "unquoted";
      sites.push({ name: placeholder[1] ?? "", start: i, end: PLACEHOLDER_AT.lastIndex, quoting });
      i = PLACEHOLDER_AT.lastIndex;
      continue;
    }
    const c = command[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (command.startsWith("$(", i)) {
      frames.push({ kind: "substitution", depth: 0 });
      i += 2;
      continue;
    }
    if (c === "`") {
      if (frame.kind === "backtick") frames.pop();
      else frames.push({ kind: "backtick" });
    } else if (frame.kind === "double") {
      if (c === '"') frames.pop();
    } else if (c === '"') {
      frames.push({ kind: "double" });
    } else if (c === "'") {
      const close = command.indexOf("'", i + 1);
      const end = close === -1 ? command.length : close;
      const inside = command.slice(i + 1, end);
      for (const match of inside.matchAll(new RegExp(PLACEHOLDER, "g"))) {
        const start = i + 1 + (match.index ?? 0);
        sites.push({ name: match[1] ?? "", start, end: start + match[0].length, quoting: "single" });
      }
      i = end + 1;
      continue;
    } else if (frame.kind === "substitution") {
      if (c === "(") frame.depth += 1;
      else if (c === ")") {
        if (frame.depth === 0) frames.pop();
        else frame.depth -= 1;
      }
    }
    i += 1;
  }
  return sites;
}

/** The command as the shell gets it; `prefix` + name is each value's variable. */
export function renderWithVariables(command: string, prefix: string): string {
  let out = "";
  let at = 0;
  for (const site of placeholderSites(command)) {
    if (site.quoting === "single") throw new Error(`{{${site.name}}} stands inside single quotes`);
    const reference = `\${${prefix}${site.name}}`;
    out += command.slice(at, site.start) + (site.quoting === "double" ? reference : `"${reference}"`);
    at = site.end;
  }
  return out + command.slice(at);
}
