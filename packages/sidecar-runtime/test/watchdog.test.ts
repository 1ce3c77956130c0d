import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { watchStdin } from "../src/watchdog.ts";

describe("watchStdin", () => {
  test("calls onClose when the stream ends", async () => {
    let closed = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1]));
        controller.close();
      },
    });
    await watchStdin(() => {
      closed = true;
    }, stream);
    expect(closed).toBe(true);
  });

  test("treats a read error like EOF", async () => {
    let closed = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new Error("EPIPE"));
      },
    });
    await watchStdin(() => {
      closed = true;
    }, stream);
    expect(closed).toBe(true);
  });
});

describe("watchStdin in a real child process", () => {
  let child: Subprocess<"pipe", "pipe", "inherit"> | undefined;

  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    child = undefined;
  });

  test("the child exits within 2 s once its stdin closes", async () => {
    const watchdog = join(import.meta.dir, "..", "src", "watchdog.ts");
    // A server-like child: a live timer keeps it running until the watchdog fires.
    const script = `
      import { watchStdin } from ${JSON.stringify(watchdog)};
      setInterval(() => {}, 60_000);
      watchStdin(() => process.exit(0));
      console.log("watching");
    `;
    child = Bun.spawn([process.execPath, "-e", script], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("watching");

    // Still running while the pipe is open.
    await Bun.sleep(200);
    expect(child.exitCode).toBeNull();

    const closedAt = performance.now();
    child.stdin.end();
    const timeout = Bun.sleep(2000).then(() => "timeout" as const);
    const outcome = await Promise.race([child.exited, timeout]);
    expect(outcome).toBe(0);
    expect(performance.now() - closedAt).toBeLessThan(2000);
  });
});
