/**
 * The api's Valkey-backed answers (/health's valkey field, GET /workers)
 * against a real server on a Unix socket, up, down and absent.
 */
import type { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { connectValkey, LineLogger, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import { createApp } from "../src/api/app.ts";
import { backupPath, databasePath, openDatabase } from "../src/db/database.ts";
import { MIGRATIONS } from "../src/db/migrations.ts";
import { migrate } from "../src/db/migrator.ts";
import { encodeHeartbeat, HEARTBEAT_KEY } from "../src/workers/heartbeat.ts";
import { TempDirs } from "./temp-dirs.ts";

const PORT = 41235;
const TOKEN = "k".repeat(64);

let server: RedisServer;
/** A client of the test's own, standing in for the worker. */
let writer: ValkeyConnection;
const servers: RedisServer[] = [];
const connections: ValkeyConnection[] = [];
const databases: Database[] = [];
const temp = new TempDirs();

beforeAll(async () => {
  server = await RedisServer.start();
  servers.push(server);
  writer = connect(server);
  connections.splice(0); // the writer lives for the whole file
  await writer.untilUp();
});

afterEach(async () => {
  await writer.command(["DEL", HEARTBEAT_KEY]);
  for (const connection of connections.splice(0)) connection.close();
  for (const db of databases.splice(0)) db.close();
  temp.removeAll();
});

afterAll(async () => {
  writer.close();
  await Promise.all(servers.splice(0).map((each) => each.dispose()));
});

function connect(to: RedisServer): ValkeyConnection {
  const connection = connectValkey({
    socket: to.socket,
    password: to.password,
    name: "test",
    logger: new LineLogger(() => {}),
  });
  connections.push(connection);
  return connection;
}

type Get = (path: string) => Promise<Response>;

function appWith(valkey: ValkeyConnection | null): Get {
  const dataDir = temp.create();
  const db = openDatabase(databasePath(dataDir), { create: true });
  databases.push(db);
  migrate(db, { migrations: MIGRATIONS, backupPath: (from) => backupPath(dataDir, from) });
  const app = createApp({ db, valkey, token: TOKEN, port: PORT, allowedOrigins: [] });
  return async (path) =>
    app.request(path, { headers: { Host: `127.0.0.1:${PORT}`, Authorization: `Bearer ${TOKEN}` } });
}

/** A connection to a server that is not running: down, retrying. */
function downConnection(): ValkeyConnection {
  const absent = RedisServer.prepare();
  servers.push(absent);
  return connect(absent);
}

async function healthValkey(get: Get): Promise<unknown> {
  const response = await get("/health");
  expect(response.status).toBe(200);
  return ((await response.json()) as { valkey: unknown }).valkey;
}

async function expectValkeyUnavailable(response: Response, detail: string): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(await response.json()).toEqual({
    type: "urn:convoy:problem:valkey-unavailable",
    title: "Valkey unavailable",
    status: 503,
    detail,
  });
}

describe("GET /health", () => {
  test("reports Valkey up once connected", async () => {
    const valkey = connect(server);
    await valkey.untilUp();
    expect(await healthValkey(appWith(valkey))).toBe("up");
  });

  test("still answers 200 while Valkey is down, and says so", async () => {
    expect(await healthValkey(appWith(downConnection()))).toBe("down");
  });

  test("reports disabled when the api runs without Valkey", async () => {
    expect(await healthValkey(appWith(null))).toBe("disabled");
  });
});

describe("GET /workers", () => {
  test("returns the worker's heartbeat", async () => {
    const valkey = connect(server);
    await valkey.untilUp();
    const heartbeat = { pid: 4242, at: "2026-01-02T03:04:05.678Z" };
    await writer.set(HEARTBEAT_KEY, encodeHeartbeat(heartbeat), { px: 5000 });

    const response = await appWith(valkey)("/workers");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ heartbeat });
  });

  test("returns a null heartbeat when no worker wrote one", async () => {
    const valkey = connect(server);
    await valkey.untilUp();
    const response = await appWith(valkey)("/workers");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ heartbeat: null });
  });

  test("treats a heartbeat it cannot read as none", async () => {
    const valkey = connect(server);
    await valkey.untilUp();
    const get = appWith(valkey);
    for (const garbage of ["not json", '{"pid":"one","at":"now"}', '{"pid":1}']) {
      await writer.set(HEARTBEAT_KEY, garbage);
      expect(await (await get("/workers")).json()).toEqual({ heartbeat: null });
    }
  });

  test("is a 503 valkey-unavailable problem while Valkey is down", async () => {
    await expectValkeyUnavailable(
      await appWith(downConnection())("/workers"),
      "Valkey is not reachable right now",
    );
  });

  test("is a 503 valkey-unavailable problem when the api runs without Valkey", async () => {
    await expectValkeyUnavailable(await appWith(null)("/workers"), "this api runs without Valkey");
  });

  test("goes from 200 to 503 and back as Valkey dies and restarts", async () => {
    const own = await RedisServer.start();
    servers.push(own);
    const valkey = connect(own);
    await valkey.untilUp();
    const get = appWith(valkey);
    expect((await get("/workers")).status).toBe(200);

    await own.kill("SIGKILL");
    const deadline = performance.now() + 2000;
    while (valkey.status() === "up" && performance.now() < deadline) await Bun.sleep(5);
    expect(await healthValkey(get)).toBe("down");
    expect((await get("/workers")).status).toBe(503);

    await own.launch();
    await valkey.untilUp();
    expect(await healthValkey(get)).toBe("up");
    expect((await get("/workers")).status).toBe(200);
  });
});
