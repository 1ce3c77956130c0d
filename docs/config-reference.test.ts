import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXAMPLE_PATH, OUT_PATH, renderReference, SCHEMA_PATH, type Schema } from "./config-reference.ts";

const ROOT = join(import.meta.dir, "..");
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const committedSchema = (): Schema => JSON.parse(read(SCHEMA_PATH)) as Schema;
const example: unknown = JSON.parse(read(EXAMPLE_PATH));

/** The generator as scripts/generate.sh runs it, on a schema of the test's own. */
function generate(schema: Schema): string {
  const dir = mkdtempSync(join(tmpdir(), "config-reference-"));
  const schemaPath = join(dir, "config.schema.json");
  const out = join(dir, "configuration.md");
  writeFileSync(schemaPath, JSON.stringify(schema));
  const run = Bun.spawnSync(["bun", join(ROOT, "docs/config-reference.ts"), "--schema", schemaPath, out]);
  expect(run.stderr.toString()).toBe("");
  expect(run.exitCode).toBe(0);
  return readFileSync(out, "utf8");
}

function sidecarConfig(schema: Schema): Schema {
  const sidecar = schema.definitions?.SidecarConfig;
  if (sidecar === undefined) throw new Error("the schema has no SidecarConfig");
  return sidecar;
}

describe("docs/configuration.md", () => {
  test("is what the generator writes from the committed schema and Runbook's section", () => {
    expect(read(OUT_PATH)).toBe(renderReference(committedSchema(), example));
  });

  test("no longer matches once the schema gains a documented field", () => {
    const schema = committedSchema();
    const sidecar = sidecarConfig(schema);
    expect(Object.keys(sidecar.properties ?? {})).not.toContain("addedByTheTest");
    sidecar.properties = {
      ...sidecar.properties,
      addedByTheTest: {
        description: "A field the Rust types gained.",
        default: null,
        type: ["integer", "null"],
      },
    };
    const page = generate(schema);
    expect(page).toContain(
      "| `addedByTheTest` | integer or `null` | optional | A field the Rust types gained. |",
    );
    expect(page).not.toBe(read(OUT_PATH));
  });

  test("documents every field of every object in the schema", () => {
    const page = renderReference(committedSchema(), example);
    const objects: Schema[] = [];
    const collect = (schema: Schema): void => {
      if (schema.properties !== undefined) objects.push(schema);
      for (const child of [
        ...Object.values(schema.properties ?? {}),
        ...Object.values(schema.definitions ?? {}),
        ...(schema.oneOf ?? []),
        ...(schema.anyOf ?? []),
      ]) {
        collect(child);
      }
    };
    collect(committedSchema());
    expect(objects.length).toBeGreaterThan(8);
    for (const object of objects) {
      for (const [field, property] of Object.entries(object.properties ?? {})) {
        // A field has its row; a one-key alternative such as `{"tcp": …}` is spelled out in place.
        const row = page
          .split("\n")
          .find((line) => line.startsWith(`| \`${field}\` |`) || line.startsWith(`| \`{"${field}": \``));
        expect(row, field).toBeDefined();
        if (property.description !== undefined)
          expect(page).toContain(property.description.split("\n")[0] ?? "");
      }
    }
  });

  test("follows a $ref to a new definition and spells out its alternatives", () => {
    const schema = committedSchema();
    schema.definitions = {
      ...schema.definitions,
      Priority: {
        description: "How soon it starts.",
        oneOf: [
          { description: "Before the others.", type: "string", enum: ["first"] },
          { description: "After the others.", type: "string", enum: ["last"] },
        ],
      },
    };
    const sidecar = sidecarConfig(schema);
    sidecar.properties = {
      ...sidecar.properties,
      priority: { anyOf: [{ $ref: "#/definitions/Priority" }, { type: "null" }] },
    };
    const page = generate(schema);
    expect(page).toContain("| `priority` | [`Priority`](#priority) or `null` | optional |  |");
    expect(page).toContain("## `Priority`\n\nHow soon it starts.");
    expect(page).toContain('| `"first"` | Before the others. |');
    expect(page).toContain('| `"last"` | After the others. |');
  });

  test("lists the placeholders the descriptions document, a new one included", () => {
    const schema = committedSchema();
    const sidecar = sidecarConfig(schema);
    sidecar.description = sidecar.description?.replace(
      "\n\n- `{dataDir}`",
      "\n\n- `{cacheDir}`: the app's cache directory.\n\n- `{dataDir}`",
    );
    const page = generate(schema);
    const table = page.slice(page.indexOf("## Placeholders"), page.indexOf("## Top level"));
    for (const name of [
      "{port:<sidecar>}",
      "{socket:<sidecar>}",
      "{secret:<name>}",
      "{runtimeDir}",
      "{dataDir}",
    ]) {
      expect(table).toContain(`| \`${name}\` |`);
    }
    expect(table).toContain("| `{cacheDir}` | the app's cache directory. |");
  });

  test("embeds Runbook's section as it is", () => {
    const page = read(OUT_PATH);
    const block = /## Example: Runbook\n[\s\S]*?```json\n([\s\S]*?)\n```/.exec(page)?.[1];
    expect(JSON.parse(block ?? "null")).toEqual({
      plugins: {
        "convoy-supervisor": (example as { plugins: Record<string, unknown> }).plugins["convoy-supervisor"],
      },
    });
  });

  test("refuses a tauri.conf.json without the section", () => {
    expect(() => renderReference(committedSchema(), { plugins: {} })).toThrow(
      /no plugins."convoy-supervisor"/,
    );
  });
});
