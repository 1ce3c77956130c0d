import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackchannel, type OpenWindow } from "../src/backchannel.ts";

// A stand-in shell on a real Unix socket that records what reached it; the
// real server (Rust) has its own tests, and the e2e tests run both together.
const dir = mkdtempSync(join(tmpdir(), "bc-client-"));
const socket = join(dir, "backchannel.sock");
const token = "t".repeat(64);
const received: { path: string; auth: string | null; body: unknown }[] = [];
const server = Bun.serve({
  unix: socket,
  async fetch(request) {
    const path = new URL(request.url).pathname;
    const body: unknown = await request.json();
    received.push({ path, auth: request.headers.get("authorization"), body });
    if (path === "/v1/focus-window") {
      return Response.json({ type: "WindowNotOpen", window: "settings" }, { status: 409 });
    }
    if (path === "/v1/open-window" && (body as OpenWindow).route !== "settings") {
      return Response.json({ type: "UnknownWindow", window: "reports" }, { status: 400 });
    }
    if (path === "/v1/notify") return new Response("not json", { status: 503 });
    return new Response(null, { status: 204 });
  },
});

afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("createBackchannel", () => {
  const client = createBackchannel({ socket, token });

  test("posts each request as JSON with the token", async () => {
    expect(await client.broadcast({ event: "jobs:changed", payload: { id: 3 } })).toEqual({ ok: true });
    expect(received.at(-1)).toEqual({
      path: "/v1/broadcast",
      auth: `Bearer ${token}`,
      body: { event: "jobs:changed", payload: { id: 3 } },
    });
    expect(await client.openWindow({ route: "settings" })).toEqual({ ok: true });
    expect(received.at(-1)?.path).toBe("/v1/open-window");
  });

  test("returns the shell's typed refusal", async () => {
    expect(await client.focusWindow({ window: "settings" })).toEqual({
      ok: false,
      error: { type: "WindowNotOpen", window: "settings" },
    });
    // Routes are the app's names: the client sends any, the shell judges it.
    expect(await client.openWindow({ route: "reports" })).toEqual({
      ok: false,
      error: { type: "UnknownWindow", window: "reports" },
    });
  });

  test("turns an unreadable answer or an absent shell into Unavailable, never a throw", async () => {
    const odd = await client.notify({ title: "t", body: "b" });
    expect(odd).toEqual({ ok: false, error: { type: "Unavailable", reason: "the shell answered 503" } });
    const gone = createBackchannel({ socket: join(dir, "nobody-here.sock"), token });
    const result = await gone.broadcast({ event: "jobs:changed", payload: null });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.type).toBe("Unavailable");
  });
});
