import { describe, expect, test } from "bun:test";
import { placeholderSites, renderWithVariables } from "../src/templates/shell-quoting.ts";
import { validateDefinition } from "../src/templates/validate.ts";

/** Runs the rendered command under the real `sh`, `x` in its environment; returns what it printed. */
function run(command: string, value: string): string {
  const shell = Bun.spawnSync(["sh", "-c", renderWithVariables(command, "P_")], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", P_x: value },
    cwd: "/",
  });
  expect(shell.stderr.toString()).toBe("");
  return shell.stdout.toString();
}

const HOSTILE = [
  "*",
  "a  b",
  "; rm -rf ~",
  "$(id)",
  "`id`",
  `it's "quoted"`,
  "two\nlines",
  "-n",
  "$" + "{HOME}",
  "~",
];

describe("a placeholder expands to its value as one word, wherever it stands", () => {
  for (const value of HOSTILE) {
    test(`value ${JSON.stringify(value)}`, () => {
      expect(run("printf '[%s]' {{x}}", value)).toBe(`[${value}]`);
      expect(run(`printf '[%s]' "before {{x}} after"`, value)).toBe(`[before ${value} after]`);
      expect(run(`printf '[%s]' "$(printf '%s' {{x}})"`, value)).toBe(`[${value}]`);
      expect(run(`printf '[%s]' "$(printf '%s' "in ({{x}})")"`, value)).toBe(`[in (${value})]`);
      expect(run("printf '[%s]' \"`printf '%s' {{x}}`\"", value)).toBe(`[${value}]`);
      expect(run("printf '[%s]' \\\"{{x}}", value)).toBe(`["${value}]`);
    });
  }
});

describe("quoting is read as sh reads it", () => {
  test("each site's context", () => {
    const sites = placeholderSites(`a {{u}} "b {{d}} $(c {{s}}) ) " 'e {{q}}' \\"{{v}}`);
    expect(sites.map((s) => [s.name, s.quoting])).toEqual([
      ["u", "unquoted"],
      ["d", "double"],
      ["s", "unquoted"],
      ["q", "single"],
      ["v", "unquoted"],
    ]);
  });

  test("inside single quotes nothing expands: the template is refused, naming the placeholder", () => {
    expect(() => renderWithVariables("echo '{{x}}'", "P_")).toThrow("{{x}} stands inside single quotes");
    const errors = validateDefinition({
      name: "t",
      description: "",
      command: "echo '{{x}}'",
      parameters: [{ name: "x", type: "string" }],
    } as Parameters<typeof validateDefinition>[0]);
    expect(errors).toContainEqual({
      path: "command",
      message: expect.stringContaining("inside single quotes"),
    });
  });
});
