/**
 * The Redis servers of a test file: one shared by its tests, started before
 * them, `own()` for a test that kills or freezes one, and `prepare()` for one
 * not started yet; every one disposed
 * after the file. Call once, at the top level of the file.
 */
import { afterAll, beforeAll } from "bun:test";
import { RedisServer } from "../testing/redis-server.ts";

export function redisServers(): {
  readonly shared: RedisServer;
  own(): Promise<RedisServer>;
  prepare(): RedisServer;
} {
  const servers: RedisServer[] = [];
  let shared: RedisServer | undefined;
  beforeAll(async () => {
    shared = await RedisServer.start();
    servers.push(shared);
  });
  afterAll(async () => {
    await Promise.all(servers.splice(0).map((server) => server.dispose()));
  });
  return {
    get shared() {
      if (shared === undefined) throw new Error("the shared server starts in beforeAll");
      return shared;
    },
    async own() {
      const server = await RedisServer.start();
      servers.push(server);
      return server;
    },
    prepare() {
      const server = RedisServer.prepare();
      servers.push(server);
      return server;
    },
  };
}
