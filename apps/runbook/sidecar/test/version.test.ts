import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { RUNBOOK_VERSION, sha256File } from "../src/version.ts";

const VERSION_MODULE = join(import.meta.dir, "../src/version.ts");

describe("the build report", () => {
  test("sha256File is the file's SHA-256", async () => {
    const expected = createHash("sha256").update(readFileSync(VERSION_MODULE)).digest("hex");
    expect(await sha256File(VERSION_MODULE)).toBe(expected);
  });

  test("a process logs its role, pid, version and the hash of the executable it runs", async () => {
    const script = `import { reportBuild } from ${JSON.stringify(VERSION_MODULE)};
reportBuild("api", { delayMs: 0 });
await Bun.sleep(3000);`;
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    const line = await (async () => {
      let text = "";
      for await (const chunk of child.stderr) {
        text += new TextDecoder().decode(chunk);
        const found = text.split("\n").find((l) => l.includes("build process="));
        if (found) return found;
      }
      return text;
    })();
    child.kill();
    const executable = createHash("sha256")
      .update(readFileSync(realpathSync(process.execPath)))
      .digest("hex");
    expect(line).toContain(
      `build process=api pid=${child.pid} version=${RUNBOOK_VERSION} build=${executable}`,
    );
  });
});
