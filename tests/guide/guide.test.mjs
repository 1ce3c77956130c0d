// Runs the shell blocks docs/wrap-your-stack.md marks with `<!-- guide:run -->`,
// in order, from the repository's root: the guide's commands keep working.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "../..");
const guide = readFileSync(join(root, "docs/wrap-your-stack.md"), "utf8");

/** Each marked ```sh block's body, in order. */
export function runnableBlocks(markdown) {
  const pattern = /^<!-- guide:run -->\n```sh\n([\s\S]*?)^```$/gm;
  return [...markdown.matchAll(pattern)].map((match) => match[1]);
}

const blocks = runnableBlocks(guide);

test("only marked sh blocks are taken, whole and in order", () => {
  const sample = [
    "<!-- guide:run -->",
    "```sh",
    "echo one",
    "echo two",
    "```",
    "```sh",
    "echo not marked",
    "```",
    "<!-- guide:run -->",
    "```sh",
    "echo three",
    "```",
  ].join("\n");
  assert.deepEqual(runnableBlocks(sample), ["echo one\necho two\n", "echo three\n"]);
});

test("the guide marks its runnable blocks", () => {
  const markers = guide.match(/^<!-- guide:run -->$/gm) ?? [];
  assert.ok(blocks.length >= 4, `found ${blocks.length} runnable blocks`);
  assert.equal(blocks.length, markers.length, "every marker is followed by a ```sh block");
});

for (const [i, block] of blocks.entries()) {
  const first = block.split("\n")[0];
  test(`block ${i + 1}: ${first}`, () => {
    const run = spawnSync("bash", ["-euo", "pipefail", "-c", block], { cwd: root, encoding: "utf8" });
    assert.equal(
      run.status,
      0,
      `the guide's block failed:\n${block}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
    );
  });
}
