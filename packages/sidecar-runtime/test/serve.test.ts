import { afterEach, describe, expect, test } from "bun:test";
import { PortInUseError, serveApi } from "../src/serve.ts";

describe("serveApi", () => {
  const servers: { stop: (force?: boolean) => unknown }[] = [];

  afterEach(() => {
    for (const server of servers.splice(0)) server.stop(true);
  });

  test("a taken port throws PortInUseError naming the port", () => {
    const occupant = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response("taken"),
    });
    servers.push(occupant);
    const port = occupant.port;
    if (port === undefined) throw new Error("occupant has no port");
    const start = () => serveApi({ fetch: () => new Response("ok") }, { port });
    expect(start).toThrow(PortInUseError);
    expect(start).toThrow(`port ${port} is already in use`);
  });
});
