/** The runner's pure parts, and its /proc checks against real processes. */
import { afterEach, describe, expect, test } from "bun:test";
import { EnvError } from "@convoy/sidecar-runtime";
import { parseControlLine, STATUS_LINE_MAX } from "../src/jobs/queue.ts";
import { clipUtf8, splitUtf8 } from "../src/jobs/utf8.ts";
import { readConcurrency, readOutputLimits } from "../src/runner/config.ts";
import { compareEntryIds, parseEntryId } from "../src/runner/durable-writes.ts";
import { jobEnvironment } from "../src/runner/job-env.ts";
import { finishFromExit } from "../src/runner/job-events.ts";
import { OutputBudget, truncationNotice } from "../src/runner/output-budget.ts";
import {
  decodeRunningJob,
  encodeRunningJob,
  isAlive,
  killOrphanedGroup,
  processStartTime,
  signalGroup,
} from "../src/runner/process-group.ts";
import { type Clock, ProgressThrottle } from "../src/runner/progress-throttle.ts";
import { ControlLineFilter } from "../src/runner/text.ts";

describe("splitUtf8", () => {
  test("cuts at the byte limit, never inside a code point", () => {
    const text = `${"a".repeat(5)}é😀${"b".repeat(3)}`;
    const pieces = splitUtf8(text, 6);
    expect(pieces.join("")).toBe(text);
    for (const piece of pieces) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(6);
    expect(pieces).toEqual(["aaaaa", "é😀", "bbb"]);
    expect(splitUtf8("", 16)).toEqual([]);
    expect(() => splitUtf8("x", 3)).toThrow(RangeError);
  });

  test("a long text comes back whole, in pieces of at most the limit", () => {
    const text = "€".repeat(10_000);
    const pieces = splitUtf8(text, 16 * 1024);
    expect(pieces.join("")).toBe(text);
    expect(Math.max(...pieces.map((piece) => Buffer.byteLength(piece)))).toBeLessThanOrEqual(16 * 1024);
  });
});

describe("clipUtf8", () => {
  test("keeps the longest start that fits, cut on a code point", () => {
    const text = `ab€😀${"c".repeat(4)}`; // bytes: 1, 1, 3, 4, then 1 each
    expect(clipUtf8(text, 0)).toBe("");
    expect(clipUtf8(text, 1)).toBe("a");
    expect(clipUtf8(text, 4)).toBe("ab");
    expect(clipUtf8(text, 5)).toBe("ab€");
    expect(clipUtf8(text, 8)).toBe("ab€");
    expect(clipUtf8(text, 9)).toBe("ab€😀");
    expect(clipUtf8(text, 13)).toBe(text);
    expect(clipUtf8(text, 100)).toBe(text);
  });

  test("never keeps half of a pair, wherever the limit falls", () => {
    const text = "😀".repeat(40);
    for (let max = 0; max <= 170; max++) {
      const kept = clipUtf8(text, max);
      expect(kept).toBe("😀".repeat(Math.min(40, Math.floor(max / 4))));
    }
  });

  test("matches Buffer's count on a long mixed text", () => {
    const text = "é€😀x".repeat(30_000);
    for (const max of [65_536, 65_537, 65_538, 65_539]) {
      const kept = clipUtf8(text, max);
      expect(text.startsWith(kept)).toBe(true);
      expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(max);
      // One more code point would not fit.
      const next = String.fromCodePoint(text.codePointAt(kept.length) ?? 0);
      expect(Buffer.byteLength(kept + next)).toBeGreaterThan(max);
    }
  });
});

describe("parseControlLine", () => {
  test("reads percentages, steps and status lines", () => {
    expect(parseControlLine("::progress::42")).toEqual({ kind: "progress", progress: 42, steps: null });
    expect(parseControlLine("::progress::7.5\r")).toEqual({ kind: "progress", progress: 7.5, steps: null });
    expect(parseControlLine("::progress::3/8")).toEqual({
      kind: "progress",
      progress: 37.5,
      steps: { done: 3, total: 8 },
    });
    expect(parseControlLine("::progress::0/1")).toMatchObject({ progress: 0, steps: { done: 0, total: 1 } });
    expect(parseControlLine("::status::  Copying files \r")).toEqual({
      kind: "status",
      statusLine: "Copying files",
    });
  });

  test("strips control characters and caps a status line at 200 characters", () => {
    expect(parseControlLine("::status::a\u0007b\u001b[31mc\u009bd")).toEqual({
      kind: "status",
      statusLine: "ab[31mcd",
    });
    const long = parseControlLine(`::status::${"é".repeat(150)}${"😀".repeat(100)}`);
    expect(long?.kind === "status" && Array.from(long.statusLine).length).toBe(STATUS_LINE_MAX);
  });

  test("a malformed line is no control line (it stays output)", () => {
    for (const line of [
      "::progress::150",
      "::progress::100.5",
      "::progress::-1",
      "::progress::3/0",
      "::progress::9/8",
      "::progress::1.5/3",
      "::progress::",
      "::progress::42 ",
      " ::progress::42",
      "::progress::42%",
      "::status::",
      "::status::   ",
      "::status::\u0007",
      "::Status::x",
      "x ::status::y",
    ]) {
      expect(parseControlLine(line)).toBeNull();
    }
  });
});

describe("ControlLineFilter", () => {
  test("takes whole control lines out, cut anywhere, and keeps everything else", () => {
    const filter = new ControlLineFilter();
    const pieces = [
      "before\n::prog",
      "ress::4",
      "2\nfoo ::progress::5\n::progress::101\n::status::Half",
      " way\r\n::progress::1/4\nafter",
      " all\n::progress::9",
    ];
    const results = pieces.map((piece) => filter.push(piece));
    results.push(filter.end());
    expect(results.map((result) => result.output).join("")).toBe(
      "before\nfoo ::progress::5\n::progress::101\nafter all\n",
    );
    expect(results.flatMap((result) => result.controls)).toEqual([
      { kind: "progress", progress: 42, steps: null },
      { kind: "status", statusLine: "Half way" },
      { kind: "progress", progress: 25, steps: { done: 1, total: 4 } },
      { kind: "progress", progress: 9, steps: null },
    ]);
  });

  test("output goes out at once unless it may still become a control line", () => {
    const filter = new ControlLineFilter();
    expect(filter.push("plain")).toEqual({ output: "plain", controls: [] });
    expect(filter.push(" ::status::x")).toEqual({ output: " ::status::x", controls: [] });
    expect(filter.push("\n::sta")).toEqual({ output: "\n", controls: [] });
    expect(filter.push("rt\n")).toEqual({ output: "::start\n", controls: [] });
    expect(filter.push("::")).toEqual({ output: "", controls: [] });
    expect(filter.end()).toEqual({ output: "::", controls: [] });
  });

  test("a bad form, or a line too long to be one, stays output", () => {
    const filter = new ControlLineFilter();
    const long = `::status::${"x".repeat(2000)}`;
    expect(filter.push(long)).toEqual({ output: long, controls: [] });
    expect(filter.push("\n::progress::3/0\n::status::\n::progress::3\n")).toEqual({
      output: "\n::progress::3/0\n::status::\n",
      controls: [{ kind: "progress", progress: 3, steps: null }],
    });
  });
});

/** A clock the test moves by hand. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; run: () => void }[] = [];
  return {
    now: () => now,
    schedule(callback, ms) {
      const timer = { at: now + ms, run: callback };
      timers.push(timer);
      return () => {
        timers = timers.filter((other) => other !== timer);
      };
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((timer) => timer.at <= now);
      timers = timers.filter((timer) => timer.at > now);
      for (const timer of due) timer.run();
    },
  };
}

describe("ProgressThrottle", () => {
  test("sends the first value at once, then at most one per interval, the last one always", () => {
    const clock = manualClock();
    const sent: number[] = [];
    const throttle = new ProgressThrottle((value) => sent.push(value), 100, clock);
    throttle.push(1);
    throttle.push(2);
    throttle.push(3);
    expect(sent).toEqual([1]);
    clock.advance(100);
    expect(sent).toEqual([1, 3]);
    throttle.push(4);
    clock.advance(50);
    throttle.push(5);
    expect(sent).toEqual([1, 3]);
    throttle.flush();
    expect(sent).toEqual([1, 3, 5]);
    clock.advance(1000);
    expect(sent).toEqual([1, 3, 5]);
    throttle.push(5);
    expect(sent).toEqual([1, 3, 5]);
  });
});

describe("jobEnvironment", () => {
  test("drops every CONVOY_ variable but the launch id, and adds the job's id", () => {
    const env = jobEnvironment(
      {
        PATH: "/bin",
        CONVOY_VALKEY_PASSWORD: "secret",
        CONVOY_API_TOKEN: "token",
        CONVOY_LAUNCH_ID: "launch",
        CONVOY_ANYTHING_NEW: "x",
        RUNBOOK_JOB_ID: "spoofed",
        UNSET: undefined,
      },
      "job-1",
    );
    expect(env).toEqual({ PATH: "/bin", CONVOY_LAUNCH_ID: "launch", RUNBOOK_JOB_ID: "job-1" });
  });
});

describe("readConcurrency", () => {
  test("defaults to 4 and takes 1 to 64", () => {
    expect(readConcurrency({})).toBe(4);
    expect(readConcurrency({ RUNBOOK_WORKER_CONCURRENCY: "" })).toBe(4);
    expect(readConcurrency({ RUNBOOK_WORKER_CONCURRENCY: "1" })).toBe(1);
    expect(readConcurrency({ RUNBOOK_WORKER_CONCURRENCY: "64" })).toBe(64);
  });

  test.each([["0"], ["65"], [" 4"], ["4x"], ["1e1"], ["0x4"]])(
    "%p is an EnvError naming the variable",
    (value) => {
      expect(() => readConcurrency({ RUNBOOK_WORKER_CONCURRENCY: value })).toThrow(EnvError);
      expect(() => readConcurrency({ RUNBOOK_WORKER_CONCURRENCY: value })).toThrow(
        `RUNBOOK_WORKER_CONCURRENCY must be an integer from 1 to 64 (got ${JSON.stringify(value)})`,
      );
    },
  );
});

describe("readOutputLimits", () => {
  test("defaults to a backlog of 4096 entries and 64 MiB kept per run", () => {
    expect(readOutputLimits({})).toEqual({ backlogEntries: 4096, maxBytes: 64 * 1024 * 1024 });
    expect(
      readOutputLimits({ RUNBOOK_OUTPUT_BACKLOG_ENTRIES: "16", RUNBOOK_OUTPUT_MAX_BYTES: "2048" }),
    ).toEqual({ backlogEntries: 16, maxBytes: 2048 });
  });

  test.each([
    ["RUNBOOK_OUTPUT_BACKLOG_ENTRIES", "0", "from 1 to 1000000"],
    ["RUNBOOK_OUTPUT_MAX_BYTES", "1023", "from 1024 to 1099511627776"],
    ["RUNBOOK_OUTPUT_MAX_BYTES", "64MiB", "from 1024 to 1099511627776"],
  ])("%s=%p is an EnvError naming the variable", (variable, value, range) => {
    expect(() => readOutputLimits({ [variable]: value })).toThrow(
      `${variable} must be an integer ${range} (got ${JSON.stringify(value)})`,
    );
  });
});

describe("OutputBudget", () => {
  test("keeps up to its cap, cut on a code point, flags the cut once, and counts the rest", () => {
    const budget = new OutputBudget(10);
    expect(budget.take("abcd")).toEqual({ text: "abcd", truncated: false });
    // 6 bytes are left: three "é" (2 bytes each) fit, the fourth would cross 10.
    expect(budget.take("éééé")).toEqual({ text: "ééé", truncated: true });
    expect(budget.droppedBytes).toBe(2);
    expect(budget.take("more")).toEqual({ text: "", truncated: false });
    expect(budget.droppedBytes).toBe(6);
  });

  test("a cap met exactly cuts at the next byte", () => {
    const budget = new OutputBudget(4);
    expect(budget.take("abcd")).toEqual({ text: "abcd", truncated: false });
    expect(budget.take("")).toEqual({ text: "", truncated: false });
    expect(budget.take("e")).toEqual({ text: "", truncated: true });
    expect(budget.droppedBytes).toBe(1);
  });

  test("the notice says what was kept, on a line of its own", () => {
    expect(truncationNotice(64 * 1024 * 1024)).toMatch(/^\n\[runbook\] output truncated: .*64 MiB.*\n$/);
    expect(truncationNotice(2048)).toContain("2 KiB");
  });
});

describe("finishFromExit", () => {
  test("maps an exit status to an outcome", () => {
    expect(finishFromExit(0, null)).toEqual({ outcome: "succeeded", exitCode: 0, reason: null });
    expect(finishFromExit(3, null)).toEqual({ outcome: "failed", exitCode: 3, reason: null });
    expect(finishFromExit(null, "SIGKILL")).toEqual({
      outcome: "failed",
      exitCode: null,
      reason: "killed by SIGKILL",
    });
  });
});

describe("stream entry ids", () => {
  test("compare by time, then sequence", () => {
    const a = parseEntryId("1700000000000-5");
    const b = parseEntryId("1700000000001-0");
    if (a === null || b === null) throw new Error("unparsed");
    expect(compareEntryIds(a, b)).toBeLessThan(0);
    expect(compareEntryIds(b, a)).toBeGreaterThan(0);
    expect(compareEntryIds(a, a)).toBe(0);
    expect(parseEntryId("*")).toBeNull();
  });
});

describe("running job records", () => {
  test("round-trip, and anything else is refused", () => {
    const record = { pgid: 1234, startTime: "98765" };
    expect(decodeRunningJob(encodeRunningJob(record))).toEqual(record);
    expect(decodeRunningJob('{"pgid":1,"startTime":"1"}')).toBeNull();
    expect(decodeRunningJob('{"pgid":0,"startTime":null}')).toBeNull();
    expect(decodeRunningJob('{"pgid":12,"startTime":"x"}')).toBeNull();
    expect(decodeRunningJob("nope")).toBeNull();
  });

  test("signalGroup refuses ids that would reach our own group or everything", () => {
    expect(() => signalGroup(0, "SIGKILL")).toThrow(RangeError);
    expect(() => signalGroup(1, "SIGKILL")).toThrow(RangeError);
    expect(() => signalGroup(-5, "SIGKILL")).toThrow(RangeError);
  });
});

describe.if(process.platform === "linux")("killOrphanedGroup", () => {
  const spawned: number[] = [];
  afterEach(() => {
    for (const pid of spawned.splice(0)) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
    }
  });

  function group(env: Record<string, string> = {}): number {
    const child = Bun.spawn(["sh", "-c", "sleep 60 & sleep 60"], {
      detached: true,
      stdio: ["ignore", "ignore", "ignore"],
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    spawned.push(child.pid);
    return child.pid;
  }

  test("kills a group whose leader has the recorded start time", () => {
    const pgid = group();
    const startTime = processStartTime(pgid);
    expect(startTime).not.toBeNull();
    expect(killOrphanedGroup({ pgid, startTime }, "job", "RUNBOOK_JOB_ID")).toBe("killed");
  });

  test("leaves alone a group whose leader started at another time (a reused pid)", async () => {
    const pgid = group();
    const startTime = String(BigInt(processStartTime(pgid) ?? "0") - 1n);
    expect(killOrphanedGroup({ pgid, startTime }, "job", "RUNBOOK_JOB_ID")).toBe("not ours");
    await Bun.sleep(50);
    expect(isAlive(pgid)).toBe(true);
  });

  test("without its leader, kills the group only when a member carries the job's id", async () => {
    // The leader waits for a line on stdin, so its start time is read while it lives.
    const ours = Bun.spawn(["sh", "-c", "sleep 60 >/dev/null & echo $!; read _; exit 0"], {
      detached: true,
      stdio: ["pipe", "pipe", "ignore"],
      env: { PATH: process.env.PATH ?? "", RUNBOOK_JOB_ID: "job-7" },
    });
    spawned.push(ours.pid);
    const startTime = processStartTime(ours.pid);
    expect(startTime).not.toBeNull();
    ours.stdin.end();
    const member = Number((await new Response(ours.stdout).text()).trim());
    await ours.exited;
    expect(isAlive(member)).toBe(true);
    expect(killOrphanedGroup({ pgid: ours.pid, startTime }, "job-8", "RUNBOOK_JOB_ID")).toBe("not ours");
    expect(isAlive(member)).toBe(true);
    expect(killOrphanedGroup({ pgid: ours.pid, startTime }, "job-7", "RUNBOOK_JOB_ID")).toBe("killed");
    await Bun.sleep(50);
    expect(isAlive(member)).toBe(false);
    expect(killOrphanedGroup({ pgid: ours.pid, startTime }, "job-7", "RUNBOOK_JOB_ID")).toBe("gone");
  });
});
