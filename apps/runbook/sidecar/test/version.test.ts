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

  test("the version compiled in (--define, as compile-sidecar.sh does) is the one reported", async () => {
    const script = `import { RUNBOOK_VERSION } from ${JSON.stringify(VERSION_MODULE)};
console.log(RUNBOOK_VERSION);`;
    const run = (define: string[]) =>
      Bun.spawnSync([process.execPath, ...define, "-e", script], { stdout: "pipe" })
        .stdout.toString()
        .trim();
    expect(run(["--define", 'RUNBOOK_BUILD_VERSION="9.8.7"'])).toBe("9.8.7");
    expect(run([])).toBe(RUNBOOK_VERSION);
  });
});
