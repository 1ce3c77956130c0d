/**
 * The worker role as the shell runs it: a real child process against a real
 * Valkey (redis-server) on a Unix socket, which tests kill and restart.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { connectValkey, LineLogger, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import { waitFor } from "@convoy/testing";
import { decodeHeartbeat, HEARTBEAT_KEY, type Heartbeat } from "../src/workers/heartbeat.ts";
import { exitWithin, type Sidecar, Sidecars } from "./sidecar-process.ts";
import { TempDirs } from "./temp-dirs.ts";

const READY = /^convoy:ready worker\n/m;
const OUTAGE = /^warn valkey unavailable, retrying name=worker /;
const BACK = /^info valkey back name=worker$/;

const temp = new TempDirs();
const sidecars = new Sidecars();
const servers: RedisServer[] = [];
const readers: ValkeyConnection[] = [];
let shared: RedisServer;

beforeAll(async () => {
  shared = await RedisServer.start();
  servers.push(shared);
});

afterEach(async () => {
  await sidecars.killAll();
  for (const reader of readers.splice(0)) reader.close();
  temp.removeAll();
});

afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.dispose()));
});

async function ownServer(options: { started: boolean }): Promise<RedisServer> {
  const server = options.started ? await RedisServer.start() : RedisServer.prepare();
  servers.push(server);
  return server;
}

function workerEnv(server: RedisServer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONVOY_DATA_DIR: temp.create(),
    CONVOY_VALKEY_SOCKET: server.socket,
    CONVOY_VALKEY_PASSWORD: server.password,
    ...extra,
  };
}

function startWorker(server: RedisServer, extra?: Record<string, string>): Sidecar {
  return sidecars.start(["worker"], workerEnv(server, extra));
}

/** A separate client, as the api would be, to read what the worker wrote. */
async function readerFor(server: RedisServer): Promise<ValkeyConnection> {
  const reader = connectValkey({
    socket: server.socket,
    password: server.password,
    name: "reader",
    logger: new LineLogger(() => {}),
  });
  readers.push(reader);
  await reader.untilUp();
  return reader;
}

async function readHeartbeat(reader: ValkeyConnection): Promise<Heartbeat | null> {
  const text = await reader.get(HEARTBEAT_KEY);
  return text === null ? null : decodeHeartbeat(text);
}

/** Polls until a heartbeat newer than `after` shows up. */
async function nextHeartbeat(reader: ValkeyConnection, after: string, timeoutMs = 3000): Promise<Heartbeat> {
  return waitFor(
    async () => {
      // The reader may itself be reconnecting after a restart.
      const heartbeat = reader.status() === "up" ? await readHeartbeat(reader) : null;
      return heartbeat !== null && heartbeat.at > after && heartbeat;
    },
    { timeout: timeoutMs, interval: 25, message: `a heartbeat after ${after}` },
  );
}

describe("the worker", () => {
  test("announces readiness after its first heartbeat, keeps beating, and stops on SIGTERM", async () => {
    const worker = startWorker(shared);
    await worker.stdout.waitFor(READY, 3000);
    const reader = await readerFor(shared);

    const first = await readHeartbeat(reader);
    expect(first?.pid).toBe(worker.child.pid);
    expect(new Date(first?.at ?? "").toISOString()).toBe(first?.at ?? "");
    const ttl = await reader.command(["PTTL", HEARTBEAT_KEY]);
    expect(ttl).toBeGreaterThan(3000);
    expect(ttl).toBeLessThanOrEqual(5000);

    // About a second later, a newer one.
    const second = await nextHeartbeat(reader, first?.at ?? "", 2000);
    expect(second.pid).toBe(worker.child.pid);

    worker.child.kill("SIGTERM");
    expect(await exitWithin(worker.child, 2000)).toBe(0);
    await Promise.all([worker.stdout.finished, worker.stderr.finished]);
    expect(worker.stdout.text).toBe("convoy:ready worker\n");
    expect(worker.stderr.text).toContain("info worker stopped\n");
    expect(worker.stderr.text).not.toContain(shared.password);
  });

  test("survives a Valkey restart and resumes its heartbeat", async () => {
    const server = await ownServer({ started: true });
    const worker = startWorker(server);
    await worker.stdout.waitFor(READY, 3000);
    const reader = await readerFor(server);
    const before = await readHeartbeat(reader);
    expect(before).not.toBeNull();

    await server.kill("SIGKILL");
    await worker.stderr.waitFor(/valkey unavailable, retrying/, 2000);
    // Down for a while: the worker keeps running and logs the outage once.
    await Bun.sleep(600);
    expect(worker.child.exitCode).toBeNull();
    expect(worker.stderr.count(OUTAGE)).toBe(1);

    await server.launch();
    const after = await nextHeartbeat(reader, before?.at ?? "", 3000);
    expect(after.pid).toBe(worker.child.pid);
    await worker.stderr.waitFor(/valkey back/, 1000);
    expect(worker.stderr.count(BACK)).toBe(1);
    // Still exactly one ready line: a restart is not a second start.
    expect(worker.stdout.text).toBe("convoy:ready worker\n");
  });

  test("exits 0 once the shell's end of its stdin closes", async () => {
    const worker = startWorker(shared, { CONVOY_STDIN_WATCHDOG: "1" });
    await worker.stdout.waitFor(READY, 3000);
    worker.child.stdin.end();
    expect(await exitWithin(worker.child, 2000)).toBe(0);
  });

  test("waits for a Valkey that is not there yet, then becomes ready", async () => {
    const server = await ownServer({ started: false });
    const worker = startWorker(server);
    await worker.stderr.waitFor(OUTAGE, 3000);
    await Bun.sleep(500);
    expect(worker.child.exitCode).toBeNull();
    expect(worker.stdout.text).toBe("");
    expect(worker.stderr.count(OUTAGE)).toBe(1);

    await server.launch();
    await worker.stdout.waitFor(READY, 3000);
    const reader = await readerFor(server);
    expect((await readHeartbeat(reader))?.pid).toBe(worker.child.pid);
  });

  test("stops promptly on SIGTERM while Valkey is down", async () => {
    const server = await ownServer({ started: false });
    const worker = startWorker(server);
    await worker.stderr.waitFor(OUTAGE, 3000);
    worker.child.kill("SIGTERM");
    expect(await exitWithin(worker.child, 2000)).toBe(0);
  });
});

describe("refusals", () => {
  test("a wrong Valkey password exits 2 with one clear line that never quotes it", async () => {
    const wrong = randomBytes(24).toString("hex");
    const result = await sidecars.run(["worker"], { ...workerEnv(shared), CONVOY_VALKEY_PASSWORD: wrong });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("error valkey refused the password (WRONGPASS) name=worker\n");
    expect(result.stderr).not.toContain(wrong);
  });

  test.each([
    ["no socket", { CONVOY_VALKEY_SOCKET: "" }, "error CONVOY_VALKEY_SOCKET is required\n"],
    [
      "a relative socket",
      { CONVOY_VALKEY_SOCKET: "valkey.sock" },
      'error CONVOY_VALKEY_SOCKET must be an absolute path (got "valkey.sock")\n',
    ],
    [
      "no password",
      { CONVOY_VALKEY_PASSWORD: "" },
      "error CONVOY_VALKEY_PASSWORD is required when CONVOY_VALKEY_SOCKET is set\n",
    ],
    [
      "a short password",
      { CONVOY_VALKEY_PASSWORD: "short-secret" },
      "error CONVOY_VALKEY_PASSWORD must be at least 32 characters\n",
    ],
  ])("%s exits 2 naming the variable", async (_, broken, stderr) => {
    const result = await sidecars.run(["worker"], { ...workerEnv(shared), ...broken });
    expect(result).toEqual({ exitCode: 2, stdout: "", stderr });
  });
});
