/**
 * The Valkey connection against a real server on a Unix socket, including
 * the server being killed, restarted, frozen, or not there yet.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { waitFor } from "@convoy/testing";
import { LineLogger } from "../src/log.ts";
import {
  connectValkey,
  ValkeyAuthError,
  type ValkeyConnection,
  type ValkeyOptions,
  ValkeyReplyError,
  ValkeyUnavailableError,
} from "../src/valkey.ts";
import type { RedisServer } from "../testing/redis-server.ts";
import { redisServers } from "./servers.ts";

const redis = redisServers();
const connections: ValkeyConnection[] = [];

afterEach(() => {
  for (const connection of connections.splice(0)) connection.close();
});

function capture(): { logger: LineLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new LineLogger((line) => lines.push(line)), lines };
}

function connect(server: RedisServer, options: Partial<ValkeyOptions> = {}): ValkeyConnection {
  const connection = connectValkey({
    socket: server.socket,
    password: server.password,
    name: "test",
    logger: new LineLogger(() => {}),
    ...options,
  });
  connections.push(connection);
  return connection;
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

describe("a healthy server", () => {
  test("connects over the Unix socket with the password and runs commands", async () => {
    const { logger, lines } = capture();
    const valkey = connect(redis.shared, { logger });
    expect(valkey.status()).toBe("down");
    await valkey.untilUp();
    expect(valkey.status()).toBe("up");
    await valkey.ping();
    await valkey.set("greeting", "héllo wörld", { px: 5000 });
    expect(await valkey.get("greeting")).toBe("héllo wörld");
    const ttl = await valkey.command(["PTTL", "greeting"]);
    expect(ttl).toBeGreaterThan(4000);
    expect(ttl).toBeLessThanOrEqual(5000);
    expect(await valkey.get("no-such-key")).toBeNull();
    expect(lines).toEqual([`info valkey connected name=test socket=${redis.shared.socket}\n`]);
  });

  test("pipelined commands get their own replies, in order", async () => {
    const valkey = connect(redis.shared);
    await valkey.untilUp();
    const values = Array.from({ length: 200 }, (_, i) => `value-${i}-${"x".repeat(i * 50)}`);
    await Promise.all(values.map((value, i) => valkey.set(`pipelined:${i}`, value)));
    expect(await Promise.all(values.map((_, i) => valkey.get(`pipelined:${i}`)))).toEqual(values);
  });

  test("an error reply is a ValkeyReplyError with its code, and the connection stays up", async () => {
    const valkey = connect(redis.shared);
    await valkey.untilUp();
    await valkey.command(["RPUSH", "a-list", "x"]);
    const error = await rejection(valkey.get("a-list"));
    expect(error).toBeInstanceOf(ValkeyReplyError);
    expect((error as ValkeyReplyError).code).toBe("WRONGTYPE");
    expect(valkey.status()).toBe("up");
    await valkey.ping();
  });
});

describe("a wrong password", () => {
  test("is a ValkeyAuthError that never quotes either password", async () => {
    const { logger, lines } = capture();
    const wrong = `wrong-${"w".repeat(40)}`;
    const valkey = connect(redis.shared, { password: wrong, logger });

    const error = await rejection(valkey.untilUp());
    expect(error).toBeInstanceOf(ValkeyAuthError);
    expect(error.message).toBe("valkey refused the password (WRONGPASS)");
    expect(valkey.status()).toBe("down");
    const commandError = await rejection(valkey.ping());
    expect(commandError).toBeInstanceOf(ValkeyAuthError);

    // It keeps retrying (capped backoff) but says so once.
    await Bun.sleep(300);
    expect(lines).toEqual(["error valkey refused the password (WRONGPASS) name=test\n"]);
    for (const text of [error.message, String(error.stack), commandError.message, ...lines]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(redis.shared.password);
    }
  });

  test("the password is redacted from anything else the logger writes", () => {
    const { logger, lines } = capture();
    const valkey = connect(redis.shared, { logger });
    logger.warn(`leaked ${redis.shared.password}`, { field: redis.shared.password });
    valkey.close();
    expect(lines.join("")).not.toContain(redis.shared.password);
    expect(lines).toEqual(["warn leaked [redacted] field=[redacted]\n"]);
  });
});

describe("a server that goes away", () => {
  test("reconnects after a SIGKILL and a restart on the same socket", async () => {
    const server = await redis.own();
    const { logger, lines } = capture();
    const valkey = connect(server, { logger });
    await valkey.untilUp();
    await valkey.set("before", "1");

    await server.kill("SIGKILL");
    await waitFor(() => valkey.status() === "down", {
      timeout: 2000,
      interval: 5,
      message: "the connection to be down",
    });
    const unavailable = await rejection(valkey.ping());
    expect(unavailable).toBeInstanceOf(ValkeyUnavailableError);
    expect(unavailable.message).toBe("valkey is unavailable (connection lost)");

    // Several attempts fail meanwhile (50, 100, 200, 400 ms…); the outage is one line.
    await Bun.sleep(500);
    expect(lines.filter((line) => line.includes("unavailable"))).toEqual([
      'warn valkey unavailable, retrying name=test reason="connection lost"\n',
    ]);

    const restartedAt = performance.now();
    await server.launch();
    await valkey.untilUp();
    // The backoff is capped at 1 s, so the reconnection follows within about that.
    expect(performance.now() - restartedAt).toBeLessThan(1500);
    expect(valkey.status()).toBe("up");
    await valkey.ping();
    // A fresh server without persistence: the old key is gone, the connection works.
    expect(await valkey.get("before")).toBeNull();
    expect(lines.at(-1)).toBe("info valkey back name=test\n");
    expect(lines).toHaveLength(3);
  });

  test("a server not there yet is waited for, then connected", async () => {
    const server = redis.prepare();
    const { logger, lines } = capture();
    const valkey = connect(server, { logger });
    const up = valkey.untilUp();
    await Bun.sleep(200);
    expect(valkey.status()).toBe("down");
    expect((await rejection(valkey.ping())).message).toBe("valkey is unavailable (ENOENT)");

    await server.launch();
    await up;
    expect(valkey.status()).toBe("up");
    expect(lines).toEqual([
      "warn valkey unavailable, retrying name=test reason=ENOENT\n",
      `info valkey connected name=test socket=${server.socket}\n`,
    ]);
  });

  test("a server that stops answering costs the connection, which comes back when it answers", async () => {
    const server = await redis.own();
    const valkey = connect(server, { timeoutMs: 200 });
    await valkey.untilUp();

    server.pause();
    try {
      const startedAt = performance.now();
      const error = await rejection(valkey.ping());
      expect(error).toBeInstanceOf(ValkeyUnavailableError);
      expect(error.message).toBe("valkey did not answer within 200 ms");
      expect(performance.now() - startedAt).toBeLessThan(1000);
      expect(valkey.status()).toBe("down");
    } finally {
      server.resume();
    }
    await valkey.untilUp();
    await valkey.ping();
  });
});

describe("close()", () => {
  test("stops reconnecting and rejects whoever waits", async () => {
    const server = redis.prepare();
    const { logger, lines } = capture();
    const valkey = connect(server, { logger });
    const up = valkey.untilUp();
    await Bun.sleep(100);
    valkey.close();
    expect((await rejection(up)).message).toBe("the valkey connection is closed");
    expect((await rejection(valkey.ping())).message).toBe("the valkey connection is closed");

    await server.launch();
    await Bun.sleep(300);
    expect(valkey.status()).toBe("down");
    expect(lines).toHaveLength(1);
  });

  test("rejects commands in flight", async () => {
    const server = await redis.own();
    const valkey = connect(server);
    await valkey.untilUp();
    server.pause();
    try {
      const inFlight = valkey.ping();
      valkey.close();
      expect(await rejection(inFlight)).toBeInstanceOf(ValkeyUnavailableError);
    } finally {
      server.resume();
    }
  });
});

describe("untilUp", () => {
  test("rejects with the signal's reason when aborted", async () => {
    const server = redis.prepare();
    const valkey = connect(server);
    const stop = new AbortController();
    const waiting = valkey.untilUp(stop.signal);
    stop.abort(new Error("stopping"));
    expect((await rejection(waiting)).message).toBe("stopping");
    expect((await rejection(valkey.untilUp(stop.signal))).message).toBe("stopping");
  });
});
