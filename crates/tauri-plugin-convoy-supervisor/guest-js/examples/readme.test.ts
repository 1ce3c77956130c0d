import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";

test("the README shows examples/usage.ts as it is (the file is typechecked)", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("./usage.ts", import.meta.url), "utf8");
  const block = readme.match(/### From the webview[\s\S]*?```ts\n([\s\S]*?)```/)?.[1];
  expect(block).toBe(example);
});
