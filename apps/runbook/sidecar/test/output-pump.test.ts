/**
 * The output pump on real child processes' pipes: a line goes out as soon as
 * the pipe has nothing more ready, however recently the last one went; a
 * chatty job is batched; a flood arrives whole, in order.
 */
import { expect, test } from "bun:test";
import { pumpOutput } from "../src/runner/output-pump.ts";

interface Written {
  text: string;
  at: number;
}

function spawnPython(script: string) {
  return Bun.spawn(["python3", "-u", "-c", script], { stdout: "pipe", stderr: "inherit" });
}

test("each line of a quiet job is written at once, not held for the batching window", async () => {
  // Lines 100 ms apart, far inside a 60 s window: only the "nothing more ready" rule writes them.
  const child = spawnPython(
    "import time\nfor i in range(3):\n  print('line', i, time.time_ns() // 1000, flush=True); time.sleep(0.1)\ntime.sleep(30)",
  );
  const written: Written[] = [];
  const pumped = pumpOutput(child.stdout, {
    write: async (text) => {
      written.push({ text, at: Date.now() });
    },
    flushMs: 60_000,
    maxBytes: 16 * 1024,
    burstWrites: 8,
  });
  try {
    const deadline = Date.now() + 10_000;
    while (
      written
        .map((w) => w.text)
        .join("")
        .split("\n").length < 4 &&
      Date.now() < deadline
    )
      await Bun.sleep(10);
    const lines = written
      .map((w) => w.text)
      .join("")
      .split("\n")
      .filter((line) => line !== "");
    expect(lines.map((line) => line.split(" ").slice(0, 2).join(" "))).toEqual([
      "line 0",
      "line 1",
      "line 2",
    ]);
    // Each line was written well before the job went on to the next (100 ms later).
    for (const line of lines) {
      const printed = Number(line.split(" ")[2]) / 1000;
      const at = written.find((w) => w.text.includes(line.split(" ").slice(0, 2).join(" ")))?.at ?? 0;
      expect(at - printed).toBeLessThan(90);
    }
  } finally {
    child.kill("SIGKILL");
    await pumped;
  }
}, 20_000);

test("a chatty job is batched: a few writes per window, not one per line", async () => {
  // 1000 lines, one every ~1 ms: unbatched, that is about 1000 writes.
  const child = spawnPython("import time\nfor i in range(1000):\n  print(i, flush=True); time.sleep(0.001)");
  const written: Written[] = [];
  await pumpOutput(child.stdout, {
    write: async (text) => {
      written.push({ text, at: Date.now() });
    },
    flushMs: 100,
    maxBytes: 16 * 1024,
    burstWrites: 4,
  });
  expect(await child.exited).toBe(0);
  const text = written.map((w) => w.text).join("");
  expect(text).toBe(`${Array.from({ length: 1000 }, (_, i) => i).join("\n")}\n`);
  const seconds = ((written.at(-1)?.at ?? 0) - (written[0]?.at ?? 0)) / 1000;
  // At most `burstWrites` + 1 per window, with slack for timer drift.
  expect(written.length).toBeLessThan(Math.ceil(seconds * 10 + 2) * 5 * 1.5 + 10);
  expect(written.length).toBeLessThan(300);
}, 30_000);

test("a flood arrives whole and in order, in writes of at most about maxBytes", async () => {
  const child = Bun.spawn(["seq", "1", "200000"], { stdout: "pipe" });
  const written: string[] = [];
  await pumpOutput(child.stdout, {
    write: async (text) => {
      written.push(text);
    },
    flushMs: 20,
    maxBytes: 16 * 1024,
    burstWrites: 8,
  });
  const text = written.join("");
  const expected = `${Array.from({ length: 200_000 }, (_, i) => i + 1).join("\n")}\n`;
  expect(text.length).toBe(expected.length);
  expect(text === expected).toBe(true);
  // However much one read hands over, no write is larger than maxBytes.
  for (const piece of written) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(16 * 1024);
}, 30_000);
