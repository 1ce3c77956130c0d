/**
 * The behaviours `valkey.test.ts` pins down, run against a real server for
 * both the hand-written client (`valkey.ts`) and ioredis configured as a
 * sidecar would configure it, so the comparison behind the README's "Why
 * not ioredis" is executable. Each test asserts what each client does,
 * including where ioredis differs.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { setTimeout as sleep } from "node:timers/promises";
import Redis, { Command } from "ioredis";
import { LineLogger } from "../src/log.ts";
import {
  connectValkey,
  ValkeyAuthError,
  type ValkeyConnection,
  ValkeyUnavailableError,
} from "../src/valkey.ts";
import type { RedisServer } from "../testing/redis-server.ts";
import { redisServers } from "./servers.ts";

/** The hand-written client's backoff, given to ioredis too so the two retry alike. */
const BACKOFF = { initialMs: 50, maxMs: 1000 };
const TIMEOUT_MS = 2000;

/** ioredis as a sidecar would need it: RESP2, no offline queue, no replays, retrying forever. */
function connectIoredis(server: RedisServer, password = server.password): Redis {
  const client = new Redis({
    path: server.socket,
    password,
    protocol: 2,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: TIMEOUT_MS,
    disableClientInfo: true,
    retryStrategy: (times) => Math.min(BACKOFF.initialMs * 2 ** (times - 1), BACKOFF.maxMs),
  });
  // Without a listener, ioredis prints every connection error to the console.
  client.on("error", () => {});
  ioredisClients.push(client);
  return client;
}

function connectHandWritten(server: RedisServer, password = server.password): ValkeyConnection {
  const connection = connectValkey({
    socket: server.socket,
    password,
    name: "spike",
    logger: new LineLogger(() => {}),
    reconnect: BACKOFF,
    timeoutMs: TIMEOUT_MS,
  });
  handWritten.push(connection);
  return connection;
}

/** Resolves once ioredis has authenticated (its status "ready"). */
function ioredisReady(client: Redis): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve) => client.once("ready", () => resolve()));
}

/** One command with its own timeout: ioredis keeps the first timeout set on a Command. */
function ioredisCall(client: Redis, args: readonly string[], timeoutMs: number): Promise<unknown> {
  const [name, ...rest] = args;
  const command = new Command(name as string, rest, { replyEncoding: "utf8" });
  command.setTimeout(timeoutMs);
  return client.sendCommand(command) as Promise<unknown>;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** Waits until the server holds a client blocked in a command, as `INFO clients` reports it. */
async function untilBlocked(info: () => Promise<unknown>): Promise<void> {
  const deadline = performance.now() + 3000;
  while (!/blocked_clients:[1-9]/.test(String(await info()))) {
    if (performance.now() > deadline) throw new Error("no client blocked within 3000 ms");
    await sleep(5);
  }
}

const redis = redisServers();
const handWritten: ValkeyConnection[] = [];
const ioredisClients: Redis[] = [];

afterEach(() => {
  for (const connection of handWritten.splice(0)) connection.close();
  for (const client of ioredisClients.splice(0)) client.disconnect();
});

describe("reconnecting forever after a SIGKILL and a restart on the same socket", () => {
  test("hand-written", async () => {
    const server = await redis.own();
    const valkey = connectHandWritten(server);
    await valkey.untilUp();
    await server.kill("SIGKILL");
    await waitFor(() => valkey.status() === "down");
    await sleep(1200); // past the 1 s cap: several attempts fail
    await server.launch();
    await valkey.untilUp();
    expect(await valkey.command(["PING"])).toBe("PONG");
  });

  test("ioredis", async () => {
    const server = await redis.own();
    const client = connectIoredis(server);
    await ioredisReady(client);
    let attempts = 0;
    client.on("reconnecting", () => attempts++);
    await server.kill("SIGKILL");
    await waitFor(() => client.status !== "ready");
    await sleep(1200);
    expect(attempts).toBeGreaterThanOrEqual(4);
    await server.launch();
    await ioredisReady(client);
    expect(await client.ping()).toBe("PONG");
  });
});

describe("refusing commands while the server is down, never replaying them", () => {
  test("hand-written: ValkeyUnavailableError at once", async () => {
    const server = await redis.own();
    const valkey = connectHandWritten(server);
    await valkey.untilUp();
    await server.kill("SIGKILL");
    await waitFor(() => valkey.status() === "down");
    const startedAt = performance.now();
    const error = await rejection(valkey.command(["SET", "while-down", "1"]));
    expect(performance.now() - startedAt).toBeLessThan(500);
    expect(error).toBeInstanceOf(ValkeyUnavailableError);
    await server.launch();
    await valkey.untilUp();
    expect(await valkey.command(["GET", "while-down"])).toBeNull();
  });

  test("ioredis: a plain Error at once (enableOfflineQueue: false)", async () => {
    const server = await redis.own();
    const client = connectIoredis(server);
    await ioredisReady(client);
    await server.kill("SIGKILL");
    await waitFor(() => client.status !== "ready");
    const startedAt = performance.now();
    const error = await rejection(client.set("while-down", "1"));
    expect(performance.now() - startedAt).toBeLessThan(500);
    // No class to switch on: only the message says why.
    expect(error.constructor).toBe(Error);
    expect(error.message).toBe("Stream isn't writeable and enableOfflineQueue options is false");
    await server.launch();
    await ioredisReady(client);
    expect(await client.get("while-down")).toBeNull();
  });
});

describe("a per-command timeout when the server stops answering", () => {
  test("hand-written: the command fails in time and costs the connection, which comes back", async () => {
    const server = await redis.own();
    const valkey = connectHandWritten(server);
    await valkey.untilUp();
    server.pause();
    try {
      const startedAt = performance.now();
      const error = await rejection(valkey.command(["PING"], { timeoutMs: 200 }));
      expect(performance.now() - startedAt).toBeLessThan(1000);
      expect(error.message).toBe("valkey did not answer within 200 ms");
      expect(valkey.status()).toBe("down");
    } finally {
      server.resume();
    }
    await valkey.untilUp();
    expect(await valkey.command(["PING"])).toBe("PONG");
  });

  test("ioredis: the command fails in time; the connection stays 'ready' and answers later", async () => {
    const server = await redis.own();
    const client = connectIoredis(server);
    await ioredisReady(client);
    server.pause();
    try {
      const startedAt = performance.now();
      const error = await rejection(ioredisCall(client, ["PING"], 200));
      expect(performance.now() - startedAt).toBeLessThan(1000);
      expect(error.message).toBe("Command timed out");
      // The reply is still owed on the same socket, so the connection is kept.
      expect(client.status).toBe("ready");
    } finally {
      server.resume();
    }
    expect(await client.ping()).toBe("PONG");
  });
});

describe("a wrong password", () => {
  const wrong = `wrong-${"w".repeat(40)}`;

  test("hand-written: a ValkeyAuthError from untilUp and from every command", async () => {
    const valkey = connectHandWritten(redis.shared, wrong);
    const error = await rejection(valkey.untilUp());
    expect(error).toBeInstanceOf(ValkeyAuthError);
    expect((error as ValkeyAuthError).code).toBe("WRONGPASS");
    expect(await rejection(valkey.command(["PING"]))).toBeInstanceOf(ValkeyAuthError);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(wrong);
  });

  test("ioredis: a WRONGPASS 'error' event carrying the password; commands fail as if down", async () => {
    const client = connectIoredis(redis.shared, wrong);
    const authError = await new Promise<Error & { command?: { args: unknown[] } }>((resolve) =>
      client.once("error", resolve),
    );
    expect(authError.message.split(" ", 1)[0]).toBe("WRONGPASS");
    // The error names the AUTH command with its arguments: logging it whole leaks the password.
    expect(authError.command?.args).toEqual([wrong]);
    const commandError = await rejection(client.ping());
    expect(commandError.message).toBe("Stream isn't writeable and enableOfflineQueue options is false");
    // It retries with the same wrong password, forever.
    await waitFor(() => client.status === "reconnecting" || client.status === "connecting");
  });
});

describe("a blocking stream read (XREAD BLOCK) on its own connection", () => {
  test("hand-written: a longer timeout for the one command; the other connection stays free", async () => {
    const reader = connectHandWritten(redis.shared);
    const writer = connectHandWritten(redis.shared);
    await Promise.all([reader.untilUp(), writer.untilUp()]);
    const key = `blocking:${crypto.randomUUID()}`;
    const read = reader.command(["XREAD", "BLOCK", "3000", "STREAMS", key, "$"], { timeoutMs: 4000 });
    await untilBlocked(() => writer.command(["INFO", "clients"]));
    const startedAt = performance.now();
    expect(await writer.command(["PING"])).toBe("PONG");
    expect(performance.now() - startedAt).toBeLessThan(1000);
    const id = await writer.command(["XADD", key, "*", "o", "line"]);
    expect(await read).toEqual([[key, [[id, ["o", "line"]]]]]);
  });

  test("ioredis: a duplicate() connection; a block past commandTimeout needs its own timeout", async () => {
    const writer = connectIoredis(redis.shared);
    const reader = writer.duplicate();
    reader.on("error", () => {});
    ioredisClients.push(reader);
    await Promise.all([ioredisReady(reader), ioredisReady(writer)]);
    const key = `blocking:${crypto.randomUUID()}`;
    const read = ioredisCall(reader, ["XREAD", "BLOCK", "3000", "STREAMS", key, "$"], 4000);
    await untilBlocked(() => writer.info("clients"));
    const startedAt = performance.now();
    expect(await writer.ping()).toBe("PONG");
    expect(performance.now() - startedAt).toBeLessThan(1000);
    const id = await writer.xadd(key, "*", "o", "line");
    expect(await read).toEqual([[key, [[id, ["o", "line"]]]]]);
  });
});
