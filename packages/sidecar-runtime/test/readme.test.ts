import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";

describe("README", () => {
  test("shows examples/api-sidecar.ts as it is (the file is typechecked)", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const example = readFileSync(new URL("../examples/api-sidecar.ts", import.meta.url), "utf8");
    const block = readme.match(/## Usage[\s\S]*?```ts\n([\s\S]*?)```/)?.[1];
    expect(block).toBe(example);
  });
});
