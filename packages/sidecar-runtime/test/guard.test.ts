import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { apiGuard } from "../src/guard.ts";
import { problemNotFound, problemOnError } from "../src/problem-handlers.ts";

const PORT = 4321;
const TOKEN = "0123456789abcdef".repeat(4);
const APP_ORIGIN = "tauri://localhost";

function guardedApp(): Hono {
  const app = new Hono();
  app.use(
    apiGuard({
      token: TOKEN,
      port: PORT,
      allowedOrigins: [APP_ORIGIN],
      maxBodyBytes: 64,
    }),
  );
  app.onError(problemOnError);
  app.notFound(problemNotFound);
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/private", (c) => c.json({ secret: true }));
  app.post("/echo", async (c) => c.json(await c.req.json()));
  return app;
}

function send(path: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(
    guardedApp().request(path, {
      ...init,
      headers: { Host: `127.0.0.1:${PORT}`, ...headers },
    }),
  );
}

const withToken = { Authorization: `Bearer ${TOKEN}` };

async function expectProblem(response: Response, status: number, slug: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(await response.json()).toMatchObject({
    type: `urn:convoy:problem:${slug}`,
    status,
  });
}

describe("authentication", () => {
  test("a public path needs no token", async () => {
    expect((await send("/health")).status).toBe(200);
  });

  test("no token is 401 with WWW-Authenticate", async () => {
    const response = await send("/private");
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    await expectProblem(response, 401, "unauthorized");
  });

  test("a wrong token is 401", async () => {
    await expectProblem(
      await send("/private", { Authorization: `Bearer ${"x".repeat(64)}` }),
      401,
      "unauthorized",
    );
    await expectProblem(await send("/private", { Authorization: `Bearer ${TOKEN}x` }), 401, "unauthorized");
    await expectProblem(await send("/private", { Authorization: `Basic ${TOKEN}` }), 401, "unauthorized");
  });

  test("the right token passes, with any case of the scheme", async () => {
    expect((await send("/private", withToken)).status).toBe(200);
    expect((await send("/private", { Authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  test("an unknown route needs the token too, so routes cannot be probed", async () => {
    await expectProblem(await send("/nowhere"), 401, "unauthorized");
    await expectProblem(await send("/nowhere", withToken), 404, "not-found");
  });
});

describe("host and origin", () => {
  test("localhost with our port is accepted", async () => {
    expect((await send("/health", { Host: `localhost:${PORT}` })).status).toBe(200);
  });

  test.each(["evil.example:4321", "127.0.0.1:9999", "127.0.0.1", "localhost"])(
    "Host %p is 403",
    async (host) => {
      await expectProblem(await send("/health", { ...withToken, Host: host }), 403, "forbidden-host");
    },
  );

  test("a missing Host is 403", async () => {
    const response = await guardedApp().request("/health");
    await expectProblem(response, 403, "forbidden-host");
  });

  test("a foreign Origin is 403 even with the token", async () => {
    await expectProblem(
      await send("/private", { ...withToken, Origin: "https://evil.example" }),
      403,
      "forbidden-origin",
    );
  });

  test("the app's Origin gets its exact origin back, never *", async () => {
    const response = await send("/private", {
      ...withToken,
      Origin: APP_ORIGIN,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(response.headers.get("vary")).toContain("Origin");
  });

  test("error answers to the app's Origin carry CORS headers so the app can read them", async () => {
    const response = await send("/private", { Origin: APP_ORIGIN });
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
  });

  test("no Origin means no CORS header", async () => {
    expect((await send("/private", withToken)).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("preflight", () => {
  const preflight = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization",
  };

  test("an allowed origin gets 204 without a token", async () => {
    const response = await send("/private", { ...preflight, Origin: APP_ORIGIN }, { method: "OPTIONS" });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST, PUT, PATCH, DELETE");
    expect(response.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    expect(response.headers.get("access-control-max-age")).toBe("600");
    expect(response.headers.get("vary")).toBe("Origin");
  });

  test("a foreign origin gets 403 and no CORS headers", async () => {
    const response = await send(
      "/private",
      { ...preflight, Origin: "http://localhost:3000" },
      { method: "OPTIONS" },
    );
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    await expectProblem(response, 403, "forbidden-origin");
  });
});

describe("body size", () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    send("/echo", { ...withToken, "Content-Type": "application/json", ...headers }, { method: "POST", body });

  test("a body within the limit reaches the route", async () => {
    const response = await post(JSON.stringify({ ok: true }));
    expect(await response.json()).toEqual({ ok: true });
  });

  test("an oversized body is 413 by Content-Length", async () => {
    await expectProblem(await post(JSON.stringify({ text: "x".repeat(100) })), 413, "payload-too-large");
  });

  test("an oversized streamed body without Content-Length is 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(40));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const request = new Request(`http://127.0.0.1:${PORT}/echo`, {
      method: "POST",
      body: stream,
      headers: {
        ...withToken,
        Host: `127.0.0.1:${PORT}`,
        "Content-Type": "application/json",
      },
    });
    expect(request.headers.get("content-length")).toBeNull();
    await expectProblem(await guardedApp().request(request), 413, "payload-too-large");
  });
});
