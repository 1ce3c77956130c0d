/**
 * The worker running jobs, as the shell runs it: the real entry point as a
 * child process against a real redis-server, fed through the queue as the
 * api feeds it, with real job processes that tests look for in /proc.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectValkey, LineLogger, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import { waitFor } from "@convoy/testing";
import {
  JOB_OUTPUT_CHUNK_BYTES,
  JOB_QUEUE,
  JOB_QUEUE_GROUP,
  JOB_RUNNING,
  type JobEvent,
} from "../src/jobs/queue.ts";
import { isAlive } from "../src/runner/process-group.ts";
import {
  enqueue,
  newJobId,
  readEvents,
  readOutput,
  requestCancel,
  waitForEvent,
  waitForFinished,
  waitForPrintedPid,
} from "./runner-harness.ts";
import { exitWithin, type Sidecar, Sidecars } from "./sidecar-process.ts";
import { TempDirs } from "./temp-dirs.ts";

const READY = /^convoy:ready worker\n/m;

const temp = new TempDirs();
const sidecars = new Sidecars();
const readers: ValkeyConnection[] = [];
/** Job processes a test saw, killed after it in case the worker left them. */
const jobPids: number[] = [];
let server: RedisServer;
let valkey: ValkeyConnection;
let home: string;

beforeEach(async () => {
  server = await RedisServer.start();
  valkey = await readerFor(server);
  home = temp.create("runbook-home-");
});

afterEach(async () => {
  await sidecars.killAll();
  for (const pid of jobPids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  for (const reader of readers.splice(0)) reader.close();
  await server.dispose();
  temp.removeAll();
});

async function readerFor(target: RedisServer): Promise<ValkeyConnection> {
  const reader = connectValkey({
    socket: target.socket,
    password: target.password,
    name: "test",
    logger: new LineLogger(() => {}),
  });
  readers.push(reader);
  await reader.untilUp();
  return reader;
}

function startWorker(extra: Record<string, string> = {}): Sidecar {
  return sidecars.start(["worker"], {
    CONVOY_DATA_DIR: temp.create(),
    CONVOY_VALKEY_SOCKET: server.socket,
    CONVOY_VALKEY_PASSWORD: server.password,
    CONVOY_LAUNCH_ID: "launch-under-test",
    HOME: home,
    ...extra,
  });
}

async function readyWorker(extra?: Record<string, string>): Promise<Sidecar> {
  const worker = startWorker(extra);
  await worker.stdout.waitFor(READY, 5000);
  return worker;
}

/** Runs `command` as job `id` on `worker`'s queue and waits for its end. */
async function runJob(command: string, timeoutMs = 10_000) {
  const id = newJobId();
  await enqueue(valkey, id, command);
  const { events, finished } = await waitForFinished(valkey, id, timeoutMs);
  return { id, events, finished, output: await readOutput(valkey, id) };
}

async function pendingCount(): Promise<number> {
  const reply = await valkey.command(["XPENDING", JOB_QUEUE, JOB_QUEUE_GROUP]);
  return Array.isArray(reply) && typeof reply[0] === "number" ? reply[0] : -1;
}

function types(events: readonly JobEvent[]): string[] {
  return events.map((event) => event.type);
}

function workerRssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1]);
}

describe("a job", () => {
  test("runs: started, its output in order with stdout and stderr apart, end, succeeded 0", async () => {
    const worker = await readyWorker();
    const { id, events, finished, output } = await runJob(
      "echo out1; echo err1 >&2; sleep 0.05; echo out2; echo err2 >&2; pwd",
    );
    expect(types(events)).toEqual(["started", "finished"]);
    const started = events[0];
    expect(started?.type === "started" && started.pid > 1).toBe(true);
    expect(finished).toMatchObject({ outcome: "succeeded", exitCode: 0, reason: null });
    expect(output.stdout).toBe(`out1\nout2\n${home}\n`);
    expect(output.stderr).toBe("err1\nerr2\n");
    expect(output.ended).toBe(true);
    expect(output.endCount).toBe(1);
    // The output key expires (30 days); the queue entry is acknowledged; no record is left.
    expect(Number(await valkey.command(["TTL", `runbook:job:${id}:output`]))).toBeGreaterThan(29 * 24 * 3600);
    expect(await pendingCount()).toBe(0);
    expect(await valkey.command(["HLEN", JOB_RUNNING])).toBe(0);
    // One line per start and finish in the worker's log, never the job's output.
    await worker.stderr.waitFor(
      new RegExp(`^info job finished id=${id} outcome=succeeded exitCode=0 ms=\\d+$`, "m"),
    );
    expect(worker.stderr.text).toMatch(new RegExp(`^info job started id=${id} pid=\\d+$`, "m"));
    expect(worker.stderr.text).not.toContain("out1");
    expect(worker.stderr.text).not.toContain("err1");
  });

  test("exiting 3 fails with exit code 3", async () => {
    await readyWorker();
    const { finished, output } = await runJob("echo bad >&2; exit 3");
    expect(finished).toMatchObject({ outcome: "failed", exitCode: 3, reason: null });
    expect(output.stderr).toBe("bad\n");
  });

  test("killed by a signal fails with no exit code and a reason naming the signal", async () => {
    await readyWorker();
    const { finished } = await runJob("kill -USR1 $$; sleep 5");
    expect(finished).toMatchObject({ outcome: "failed", exitCode: null, reason: "killed by SIGUSR1" });
  });

  test("a command that cannot start fails with a reason (its home directory is not one)", async () => {
    const notADirectory = join(home, "file");
    writeFileSync(notADirectory, "");
    await readyWorker({ HOME: notADirectory });
    const { events, finished, output } = await runJob("echo never");
    expect(types(events)).toEqual(["finished"]);
    expect(finished.outcome).toBe("failed");
    expect(finished.reason).toContain("could not start the command");
    expect(output).toMatchObject({ stdout: "", ended: true });
  });

  test("progress lines become progress events, coalesced, the last value sent, never output", async () => {
    await readyWorker();
    const burst = await runJob('for i in $(seq 0 100); do echo "::progress::$i"; done');
    const progress = burst.events.filter((event) => event.type === "progress").map((event) => event.progress);
    expect(progress.at(-1)).toBe(100);
    // 101 lines in a burst: a few events, not one per line.
    expect(progress.length).toBeLessThanOrEqual(4);
    expect(types(burst.events).at(0)).toBe("started");
    expect(types(burst.events).at(-1)).toBe("finished");
    // Control lines are reported, not kept as output.
    expect(burst.output.stdout).toBe("");

    // Spaced out (stderr too, decimals, a last line without a newline), every value arrives.
    const spaced = await runJob(
      "echo ::progress::12.5; sleep 0.25; echo ::progress::40 >&2; sleep 0.25; echo not::progress::50; printf ::progress::99",
    );
    const values = spaced.events.filter((event) => event.type === "progress").map((event) => event.progress);
    expect(values).toEqual([12.5, 40, 99]);
    expect(spaced.output).toMatchObject({ stdout: "not::progress::50\n", stderr: "" });
  });

  test("steps and status lines are reported, bad forms stay output, lines cut across reads too", async () => {
    await readyWorker();
    // Each line is cut across two writes (and reads), a pause between them.
    const { events, output } = await runJob(
      [
        "printf 'one\\n::progress::1/'; sleep 0.15; printf '4\\n::sta'; sleep 0.15",
        "printf 'tus::Copying \\033[1mfiles\\n'; sleep 0.15",
        "echo ::progress::150; echo ::progress::3/0; echo ::status::; echo '::status::  '",
        "echo ::status::oops >&2; sleep 0.15; echo ::progress::4/4; printf '::status::Done'",
      ].join("; "),
    );
    const reports = events
      .filter((event) => event.type === "progress" || event.type === "status")
      .map((event) =>
        event.type === "progress" ? { progress: event.progress, steps: event.steps } : event.statusLine,
      );
    expect(reports).toEqual([
      { progress: 25, steps: { done: 1, total: 4 } },
      "Copying [1mfiles",
      "oops",
      { progress: 100, steps: { done: 4, total: 4 } },
      "Done",
    ]);
    expect(output.stdout).toBe("one\n::progress::150\n::progress::3/0\n::status::\n::status::  \n");
    expect(output.stderr).toBe("");
  });

  test("a 200,000-line flood arrives complete and in order, with the worker's memory bounded", async () => {
    // No api copies the output here: a backlog as large as the flood keeps the job from waiting for one.
    const worker = await readyWorker({ RUNBOOK_OUTPUT_BACKLOG_ENTRIES: "1000000" });
    const pid = worker.child.pid;
    const before = workerRssKiB(pid);
    const id = newJobId();
    // ~42 MB: far beyond any pipe, so the worker must keep up or hold the job back.
    const pad = "x".repeat(200);
    await enqueue(valkey, id, `seq -f '%06g ${pad}' 1 200000`);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, workerRssKiB(pid));
    }, 10);
    const { finished } = await waitForFinished(valkey, id, 60_000);
    clearInterval(sampler);
    expect(finished).toMatchObject({ outcome: "succeeded", exitCode: 0 });

    const output = await readOutput(valkey, id);
    expect(output.ended).toBe(true);
    expect(output.largestEntryBytes).toBeLessThanOrEqual(JOB_OUTPUT_CHUNK_BYTES);
    const lines = output.stdout.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.length).toBe(200_000);
    let outOfPlace = -1;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== `${String(i + 1).padStart(6, "0")} ${pad}`) {
        outOfPlace = i;
        break;
      }
    }
    expect(outOfPlace).toBe(-1);
    const growthMiB = (peak - before) / 1024;
    console.log(
      `200,000 lines: worker RSS ${Math.round(before / 1024)} MiB, peak +${growthMiB.toFixed(1)} MiB`,
    );
    expect(growthMiB).toBeLessThan(40);
  }, 90_000);

  test("a multi-byte character split across pipe reads survives", async () => {
    await readyWorker();
    // U+1F600 is F0 9F 98 80: two bytes, a pause longer than the flush interval, two more.
    const { output } = await runJob(
      "printf 'a\\360\\237'; sleep 0.3; printf '\\230\\200b\\n'; printf '\\303' >&2; sleep 0.1; printf '\\251\\n' >&2",
    );
    expect(output.stdout).toBe("a\u{1F600}b\n");
    expect(output.stderr).toBe("é\n");
    expect(output.stdout).not.toContain("\uFFFD");
  });

  test("its environment has no secrets, but the launch id and its own id", async () => {
    await readyWorker({ CONVOY_API_TOKEN: "t".repeat(40), CONVOY_BACKCHANNEL_TOKEN: "b".repeat(40) });
    const { id, output } = await runJob("env");
    const env = new Map(
      output.stdout
        .split("\n")
        .filter((line) => line.includes("="))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(env.get("RUNBOOK_JOB_ID")).toBe(id);
    expect(env.get("CONVOY_LAUNCH_ID")).toBe("launch-under-test");
    expect([...env.keys()].filter((name) => name.startsWith("CONVOY_"))).toEqual(["CONVOY_LAUNCH_ID"]);
    expect(output.stdout).not.toContain(server.password);
    expect(output.stdout).not.toContain("t".repeat(40));
    expect(env.get("HOME")).toBe(home);
  });

  test("a job of 5 s is not killed early (the death signal is tied to the worker, not a thread)", async () => {
    await readyWorker();
    const started = performance.now();
    const { finished, output } = await runJob("sleep 5; echo done", 15_000);
    expect(finished).toMatchObject({ outcome: "succeeded", exitCode: 0 });
    expect(output.stdout).toBe("done\n");
    expect(performance.now() - started).toBeGreaterThan(4900);
  }, 20_000);
});

describe("cancelling", () => {
  test("a running job: its whole process group goes, outcome cancelled", async () => {
    await readyWorker();
    const id = newJobId();
    await enqueue(valkey, id, "sleep 300 & echo child=$!; echo leader=$$; sleep 300");
    const child = await waitForPrintedPid(valkey, id, "child");
    const leader = await waitForPrintedPid(valkey, id, "leader");
    jobPids.push(child, leader);
    expect(isAlive(child) && isAlive(leader)).toBe(true);

    const asked = performance.now();
    await requestCancel(valkey, id);
    const { events, finished } = await waitForFinished(valkey, id, 5000);
    expect(finished).toMatchObject({
      outcome: "cancelled",
      exitCode: null,
      reason: "cancelled while running",
    });
    expect(types(events)).toEqual(["started", "finished"]);
    expect(performance.now() - asked).toBeLessThan(2000);
    expect(isAlive(leader)).toBe(false);
    expect(isAlive(child)).toBe(false);
    expect((await readOutput(valkey, id)).ended).toBe(true);
    expect(await pendingCount()).toBe(0);
  });

  test("a job that exits with a code in the grace keeps it; one that ignores SIGTERM is killed after it", async () => {
    await readyWorker();
    const polite = newJobId();
    await enqueue(valkey, polite, "trap 'echo bye; exit 7' TERM; echo ready; while :; do sleep 0.05; done");
    const stubborn = newJobId();
    await enqueue(valkey, stubborn, "trap '' TERM; echo ready; while :; do sleep 0.05; done");
    await waitForEvent(valkey, polite, (event) => event.type === "started");
    await waitForEvent(valkey, stubborn, (event) => event.type === "started");
    await Bun.sleep(200);
    const asked = performance.now();
    await requestCancel(valkey, polite);
    await requestCancel(valkey, stubborn);

    const first = await waitForFinished(valkey, polite, 5000);
    expect(first.finished).toMatchObject({ outcome: "cancelled", exitCode: 7 });
    expect((await readOutput(valkey, polite)).stdout).toBe("ready\nbye\n");

    const second = await waitForFinished(valkey, stubborn, 8000);
    expect(second.finished).toMatchObject({ outcome: "cancelled", exitCode: null });
    expect(performance.now() - asked).toBeGreaterThan(2900);
  }, 15_000);

  test("before it starts: finished cancelled, never started, output ended", async () => {
    await readyWorker();
    const id = newJobId();
    const marker = join(home, "ran");
    await requestCancel(valkey, id);
    await enqueue(valkey, id, `touch ${marker}`);
    const { events, finished } = await waitForFinished(valkey, id);
    expect(types(events)).toEqual(["finished"]);
    expect(finished).toMatchObject({
      outcome: "cancelled",
      exitCode: null,
      reason: "cancelled before it started",
    });
    expect(await readOutput(valkey, id)).toMatchObject({ stdout: "", stderr: "", ended: true, entries: 1 });
    expect(existsSync(marker)).toBe(false);
    await waitUntilNothingPending();
  });
});

async function waitUntilNothingPending(timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await pendingCount()) !== 0) {
    if (performance.now() > deadline) throw new Error("queue entries still pending");
    await Bun.sleep(25);
  }
}

describe("the queue", () => {
  test("a job enqueued twice runs once, and both entries are acknowledged", async () => {
    const worker = await readyWorker();
    const id = newJobId();
    const log = join(home, "runs");
    await enqueue(valkey, id, `echo ran >> ${log}; sleep 0.3`);
    await enqueue(valkey, id, `echo ran >> ${log}; sleep 0.3`);
    await waitForFinished(valkey, id);
    await Bun.sleep(300);
    expect(readFileSync(log, "utf8")).toBe("ran\n");
    expect(types(await readEvents(valkey, id))).toEqual(["started", "finished"]);
    await waitUntilNothingPending();
    expect(worker.stderr.count(new RegExp(`^info duplicate queue entry skipped id=${id} `))).toBe(1);
  });

  test("an entry that is not a job is acknowledged and logged", async () => {
    const worker = await readyWorker();
    await valkey.command(["XADD", JOB_QUEUE, "*", "something", "else"]);
    await worker.stderr.waitFor(/^warn queue entry skipped: not a job entry=\d+-\d+$/m, 3000);
    await waitUntilNothingPending();
  });

  test("at most RUNBOOK_WORKER_CONCURRENCY jobs run at once, and that many do", async () => {
    await readyWorker({ RUNBOOK_WORKER_CONCURRENCY: "2" });
    const ids = Array.from({ length: 5 }, () => newJobId());
    for (const id of ids) await enqueue(valkey, id, "sleep 0.4");
    for (const id of ids) await waitForFinished(valkey, id, 10_000);
    let running = 0;
    let most = 0;
    for (const event of await readEvents(valkey)) {
      if (event.type === "started") running += 1;
      if (event.type === "finished") running -= 1;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
    for (const id of ids) {
      const events = await readEvents(valkey, id);
      expect(events.at(-1)).toMatchObject({ type: "finished", outcome: "succeeded" });
    }
  });

  test.each([["0"], ["65"], ["four"], ["-1"], ["2.5"]])(
    "RUNBOOK_WORKER_CONCURRENCY=%s exits 2 naming the variable",
    async (value) => {
      const result = await sidecars.run(["worker"], {
        CONVOY_DATA_DIR: temp.create(),
        CONVOY_VALKEY_SOCKET: server.socket,
        CONVOY_VALKEY_PASSWORD: server.password,
        RUNBOOK_WORKER_CONCURRENCY: value,
      });
      expect(result).toEqual({
        exitCode: 2,
        stdout: "",
        stderr: `error RUNBOOK_WORKER_CONCURRENCY must be an integer from 1 to 64 (got ${JSON.stringify(value)})\n`,
      });
    },
  );
});

describe("the worker stopping", () => {
  test("SIGTERM ends a running job's whole group and reports it interrupted", async () => {
    const worker = await readyWorker();
    const id = newJobId();
    await enqueue(valkey, id, "sleep 300 & echo child=$!; echo leader=$$; sleep 300");
    const child = await waitForPrintedPid(valkey, id, "child");
    const leader = await waitForPrintedPid(valkey, id, "leader");
    jobPids.push(child, leader);

    worker.child.kill("SIGTERM");
    expect(await exitWithin(worker.child, 5000)).toBe(0);
    expect(isAlive(leader)).toBe(false);
    expect(isAlive(child)).toBe(false);
    const events = await readEvents(valkey, id);
    expect(events.at(-1)).toMatchObject({
      type: "finished",
      outcome: "interrupted",
      reason: "the worker stopped",
    });
    expect((await readOutput(valkey, id)).ended).toBe(true);
    expect(await pendingCount()).toBe(0);
    expect(await valkey.command(["HLEN", JOB_RUNNING])).toBe(0);
  });

  test("SIGKILL: the job's whole group dies with it; the next worker reports it interrupted, never reruns it", async () => {
    const first = await readyWorker();
    const id = newJobId();
    const runs = join(home, "runs");
    // `$$` is the command's shell; the group's leader above it is the worker's JOB_LEADER.
    await enqueue(valkey, id, `echo ran >> ${runs}; sleep 300 & echo child=$!; echo shell=$$; sleep 300`);
    const child = await waitForPrintedPid(valkey, id, "child");
    const shell = await waitForPrintedPid(valkey, id, "shell");
    jobPids.push(child, shell);
    // Its record is in Valkey before the worker can die holding it.
    expect(await valkey.command(["HEXISTS", JOB_RUNNING, id])).toBe(1);

    first.child.kill("SIGKILL");
    await first.child.exited;
    // The leader gets SIGTERM as the worker dies (PR_SET_PDEATHSIG) and SIGKILLs its group,
    // background child included.
    await waitFor(() => !isAlive(shell) && !isAlive(child), {
      timeout: 2000,
      interval: 20,
      message: "every process of the job is dead",
    });
    expect(await pendingCount()).toBe(1);

    const second = await readyWorker();
    const { events, finished } = await waitForFinished(valkey, id, 5000);
    expect(finished).toMatchObject({
      outcome: "interrupted",
      exitCode: null,
      reason: "the worker running it stopped before it finished",
    });
    expect(types(events)).toEqual(["started", "finished"]);
    await waitUntilNothingPending();
    expect(await valkey.command(["HLEN", JOB_RUNNING])).toBe(0);
    const output = await readOutput(valkey, id);
    expect(output.ended).toBe(true);
    await Bun.sleep(300);
    expect(readFileSync(runs, "utf8")).toBe("ran\n");
    expect(second.stderr.text).not.toMatch(/orphaned job processes killed/);
  });
});

describe("Valkey restarting mid-job", () => {
  test("loses no event: what happened while it was down arrives once it is back", async () => {
    const worker = await readyWorker();
    const id = newJobId();
    await enqueue(
      valkey,
      id,
      "echo before; echo ::progress::10; sleep 1; echo during; echo ::progress::50; sleep 1.5; echo after; echo ::progress::100",
    );
    await waitForEvent(valkey, id, (event) => event.type === "progress" && event.progress === 10);
    // The event can land before the output batch holding its line: wait for both.
    for (let tries = 0; !(await readOutput(valkey, id)).stdout.includes("before\n"); tries += 1) {
      if (tries > 100) throw new Error("the first output never reached Valkey");
      await Bun.sleep(20);
    }

    await server.kill("SIGKILL");
    await worker.stderr.waitFor(/valkey unavailable, retrying name=worker /, 2000);
    // Down across the job's "during" line and its 50%.
    await Bun.sleep(1300);
    await server.launch();
    const after = await readerFor(server);

    // The restarted server is empty (no persistence): all it has is what came after.
    const { events, finished } = await waitForFinished(after, id, 8000);
    expect(finished).toMatchObject({ outcome: "succeeded", exitCode: 0 });
    const progress = events.filter((event) => event.type === "progress").map((event) => event.progress);
    expect(progress).toEqual([50, 100]);
    const output = await readOutput(after, id);
    expect(output.stdout).toBe("during\nafter\n");
    expect(output.ended).toBe(true);
    expect(worker.child.exitCode).toBeNull();
  }, 20_000);
});
