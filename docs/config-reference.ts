/**
 * Writes docs/configuration.md, the reference of the `plugins."convoy-supervisor"` section, from the
 * JSON Schema the plugin ships (itself generated from the Rust config types), with Runbook's own
 * section as the example. Every field, type and description comes from the schema; nothing here
 * lists them, so the page cannot fall behind the code.
 *
 *   bun docs/config-reference.ts [--schema <config.schema.json>] [--example <tauri.conf.json>] [<out>]
 *
 * Without `<out>` it writes docs/configuration.md; `scripts/generate.sh --check` writes to a
 * temporary file and diffs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The part of JSON Schema draft-07 that schemars emits. */
export interface Schema {
  $ref?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  definitions?: Record<string, Schema>;
}

const ROOT = join(import.meta.dir, "..");
export const SCHEMA_PATH = "crates/tauri-plugin-convoy-supervisor/config.schema.json";
export const EXAMPLE_PATH = "apps/runbook/src-tauri/tauri.conf.json";
export const OUT_PATH = "docs/configuration.md";
const SECTION = "convoy-supervisor";
const TOP = "Top level";

/** A heading of the page: the schema's root, a definition, or an object declared in place. */
interface Section {
  name: string;
  schema: Schema;
  /** An object declared inside another section's schema, shown under it. */
  inline: boolean;
}

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

const code = (text: string): string => `\`${text}\``;
const link = (name: string): string => `[${code(name)}](#${anchor(name)})`;
const json = (value: unknown): string => code(JSON.stringify(value));
const paragraphs = (text: string | undefined): string[] => (text ?? "").split("\n\n").filter((p) => p !== "");
/** A description in one table cell: its paragraphs kept apart, pipes escaped. */
const cell = (text: string | undefined): string => paragraphs(text).join("<br><br>").replace(/\|/g, "\\|");

/** Renders one section's types, collecting the sections they lead to, in the order met. */
class SectionRenderer {
  readonly children: Section[] = [];

  constructor(
    private readonly definitions: Record<string, Schema>,
    private readonly name: string,
  ) {}

  private child(section: Section): void {
    if (!this.children.some((c) => c.name === section.name)) this.children.push(section);
  }

  /** A type as a reader says it: `array of string or null`, links for definitions. */
  type(schema: Schema, inlineName: string): string {
    if (schema.$ref !== undefined) {
      const name = schema.$ref.replace(/^#\/definitions\//, "");
      const target = this.definitions[name];
      if (target === undefined) throw new Error(`${this.name}: no definition for ${schema.$ref}`);
      this.child({ name, schema: target, inline: false });
      return link(name);
    }
    const alternatives = schema.allOf ?? schema.oneOf ?? schema.anyOf;
    if (alternatives !== undefined) return alternatives.map((s) => this.type(s, inlineName)).join(" or ");
    if (schema.enum !== undefined) return schema.enum.map(json).join(" or ");
    if (schema.const !== undefined) return json(schema.const);
    const types = schema.type === undefined ? [] : [schema.type].flat();
    if (types.length === 0) return "any value";
    return types
      .map((type) => {
        switch (type) {
          case "null":
            return code("null");
          case "integer":
            return schema.format === undefined ? "integer" : `integer (${schema.format})`;
          case "array":
            return schema.items === undefined ? "array" : `array of ${this.type(schema.items, inlineName)}`;
          case "object":
            if (schema.properties !== undefined) {
              this.child({ name: inlineName, schema, inline: true });
              return link(inlineName);
            }
            if (typeof schema.additionalProperties === "object") {
              return `map of string to ${this.type(schema.additionalProperties, inlineName)}`;
            }
            return "object";
          default:
            return type;
        }
      })
      .join(" or ");
  }

  /** One alternative of a oneOf/anyOf: its value, or `{"key": …}` for a one-key object. */
  alternative(schema: Schema, index: number): string {
    const keys = Object.keys(schema.properties ?? {});
    const [key] = keys;
    if (key !== undefined && keys.length === 1 && schema.required?.includes(key)) {
      const value = schema.properties?.[key] ?? {};
      return `${code(`{"${key}": `)}${this.type(value, `${this.name}.${key}`)}${code("}")}`;
    }
    return this.type(schema, `${this.name}.${index + 1}`);
  }

  fields(schema: Schema): string[] {
    const properties = schema.properties ?? {};
    const required = new Set(schema.required ?? []);
    // Required fields first, then the rest, each in the schema's order.
    const names = Object.keys(properties).sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
    const rows = names.map((field) => {
      const property = properties[field] ?? {};
      const presence = required.has(field)
        ? "required"
        : property.default === undefined || property.default === null
          ? "optional"
          : `default ${json(property.default)}`;
      const type = this.type(property, `${this.name}.${field}`);
      return `| ${code(field)} | ${type} | ${presence} | ${cell(property.description)} |`;
    });
    const lines = ["| Field | Type | Required | Description |", "|---|---|---|---|", ...rows];
    if (schema.additionalProperties === false) lines.push("", "Any other field is an error.");
    else if (typeof schema.additionalProperties === "object") {
      lines.push("", `Any other field: ${this.type(schema.additionalProperties, `${this.name}.*`)}.`);
    }
    return lines;
  }

  alternatives(list: Schema[]): string[] {
    const rows = list.map((alt, i) => `| ${this.alternative(alt, i)} | ${cell(alt.description)} |`);
    return ["One of:", "", "| Value | Meaning |", "|---|---|", ...rows];
  }
}

/** One placeholder in a description: a paragraph `- `{name}`: what it becomes.` */
const PLACEHOLDER = /^- `(\{[^`]+\})`: (.*)$/s;

/**
 * A description split in two: its own text, and the placeholders it explains. That block runs from
 * the paragraph introducing the list (ending in a colon) to the end, so the rules that follow the
 * list stay with it; the page shows it once, under its own heading.
 */
function splitPlaceholders(text: string | undefined): {
  own: string[];
  intro: string[];
  placeholders: { name: string; meaning: string }[];
  outro: string[];
} {
  const all = paragraphs(text);
  const first = all.findIndex((p) => PLACEHOLDER.test(p));
  if (first === -1) return { own: all, intro: [], placeholders: [], outro: [] };
  const start = first > 0 && all[first - 1]?.endsWith(":") ? first - 1 : first;
  const block = all.slice(first);
  const items = block.flatMap((p) => {
    const [, name, meaning] = PLACEHOLDER.exec(p) ?? [];
    return name === undefined || meaning === undefined ? [] : [{ name, meaning }];
  });
  const lastItem = block.findLastIndex((p) => PLACEHOLDER.test(p));
  return {
    own: [...all.slice(0, start), "Its strings may hold [placeholders](#placeholders)."],
    intro: all.slice(start, first),
    placeholders: items,
    outro: block.slice(lastItem + 1).filter((p) => !PLACEHOLDER.test(p)),
  };
}

/** The whole page, from the schema and the `tauri.conf.json` whose section is the example. */
export function renderReference(schema: Schema, exampleConf: unknown): string {
  const definitions = schema.definitions ?? {};
  const root: Section = { name: TOP, schema, inline: false };
  // Depth first from the root, so each definition follows the first one that uses it.
  const sections: { section: Section; body: string[] }[] = [];
  const seen = new Set<string>();
  const visit = (section: Section): void => {
    if (seen.has(section.name)) return;
    seen.add(section.name);
    const renderer = new SectionRenderer(definitions, section.name);
    const body = splitPlaceholders(section.schema.description).own;
    const list = section.schema.oneOf ?? section.schema.anyOf;
    if (list !== undefined) body.push(renderer.alternatives(list).join("\n"));
    else if (section.schema.properties !== undefined) body.push(renderer.fields(section.schema).join("\n"));
    else body.push(`A value of type ${renderer.type(section.schema, `${section.name}.value`)}.`);
    sections.push({ section, body });
    for (const child of renderer.children.filter((c) => c.inline)) visit(child);
    for (const child of renderer.children.filter((c) => !c.inline)) visit(child);
  };
  visit(root);
  // Definitions nothing refers to still belong to the configuration's vocabulary.
  for (const [name, definition] of Object.entries(definitions))
    visit({ name, schema: definition, inline: false });

  const explained = sections.flatMap(({ section: s }) => {
    const split = splitPlaceholders(s.schema.description);
    return split.placeholders.length === 0 ? [] : [{ section: s.name, ...split }];
  });
  if (explained.length === 0) throw new Error("no description in the schema lists the `{placeholders}`");
  const example = (exampleConf as { plugins?: Record<string, unknown> } | null)?.plugins?.[SECTION];
  if (example === undefined) throw new Error(`the example has no plugins."${SECTION}" section`);

  const heading = (s: Section): string => (s.name === TOP ? TOP : code(s.name));
  const out = [
    `<!-- Generated by docs/config-reference.ts from ${SCHEMA_PATH}; do not edit. Run \`npm run generate\`. -->`,
    "",
    "# Configuration reference",
    "",
    `An app declares its sidecars in the \`plugins."${SECTION}"\` section of its \`tauri.conf.json\`.`,
    `This page is generated from the JSON Schema the plugin ships, [\`config.schema.json\`](../${SCHEMA_PATH}),`,
    "which is itself generated from the doc comments and types in",
    "[`crates/convoy-supervisor/src/config/`](../crates/convoy-supervisor/src/config/). To change a",
    "description, change the doc comment and run `npm run generate` (`bash scripts/generate.sh`);",
    "`npm test` fails while this page is out of date (`bash scripts/generate.sh --check`).",
    "",
    "A field whose type includes `null` may be given as `null`, the same as leaving it out.",
    "",
    "## Contents",
    "",
    "- [Example: Runbook](#example-runbook)",
    "- [Placeholders](#placeholders)",
    ...sections.map(({ section: s }) => `${s.inline ? "  " : ""}- [${heading(s)}](#${anchor(heading(s))})`),
    "",
    "## Example: Runbook",
    "",
    `Runbook's section, as it is in [\`${EXAMPLE_PATH}\`](../${EXAMPLE_PATH}):`,
    "",
    "```json",
    JSON.stringify({ plugins: { [SECTION]: example } }, null, 2),
    "```",
    "",
    "## Placeholders",
    ...explained.flatMap((e) => [
      "",
      [`From ${link(e.section)}.`, ...e.intro].join(" "),
      "",
      "| Placeholder | Becomes |",
      "|---|---|",
      ...e.placeholders.map((p) => `| ${code(p.name)} | ${cell(p.meaning)} |`),
      ...e.outro.flatMap((p) => ["", p]),
    ]),
    ...sections.flatMap(({ section: s, body }) => [
      "",
      `${s.inline ? "###" : "##"} ${heading(s)}`,
      "",
      body.join("\n\n"),
    ]),
    "",
  ];
  return out.join("\n");
}

function main(argv: string[]): void {
  let schemaPath = join(ROOT, SCHEMA_PATH);
  let examplePath = join(ROOT, EXAMPLE_PATH);
  let outPath = join(ROOT, OUT_PATH);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if ((arg === "--schema" || arg === "--example") && value !== undefined) {
      if (arg === "--schema") schemaPath = value;
      else examplePath = value;
      i++;
    } else if (arg !== undefined && !arg.startsWith("--")) outPath = arg;
    else throw new Error(`usage: bun docs/config-reference.ts [--schema <path>] [--example <path>] [<out>]`);
  }
  const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Schema;
  const example: unknown = JSON.parse(readFileSync(examplePath, "utf8"));
  writeFileSync(outPath, renderReference(schema, example));
}

if (import.meta.main) main(process.argv.slice(2));
