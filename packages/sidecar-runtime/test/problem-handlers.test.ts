import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { createProblem, ProblemError } from "../src/problem.ts";
import { problemNoRoute, problemOnError, rejectMalformedJson } from "../src/problem-handlers.ts";

function appWithHandlers(): Hono {
  const app = new Hono();
  app.onError(problemOnError);
  app.notFound(problemNoRoute(app));
  app.use(rejectMalformedJson);
  app.on(["POST", "PUT", "PATCH"], "/echo", async (c) => c.json(await c.req.json()));
  app.get("/boom", () => {
    throw new Error("database password is hunter2");
  });
  app.get("/unsupported", () => {
    throw new HTTPException(415, { message: "Unsupported Media Type" });
  });
  return app;
}

describe("problem handlers", () => {
  test("malformed JSON is 400 malformed-json, not 500", async () => {
    const response = await appWithHandlers().request("/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: "{ nope",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as { type: string }).type).toBe("urn:convoy:problem:malformed-json");
  });

  // A POST without a body, or with Content-Length: 0, reaches the server with
  // no body at all; declared as JSON, it is as malformed as any other non-JSON.
  test.each([
    ["no body", undefined],
    ["an empty body", ""],
  ])("%s declared as JSON on a POST is 400 malformed-json, not 500", async (_, body) => {
    for (const method of ["POST", "PUT", "PATCH"]) {
      const response = await appWithHandlers().request("/echo", {
        method,
        headers: { "Content-Type": "application/json" },
        body,
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { type: string }).type).toBe("urn:convoy:problem:malformed-json");
    }
  });

  test("a GET declaring JSON but carrying no body is left to its route", async () => {
    const response = await appWithHandlers().request("/boom", {
      headers: { "Content-Type": "application/json" },
    });
    expect(((await response.json()) as { type: string }).type).toBe("urn:convoy:problem:internal");
  });

  test("well-formed JSON still reaches the route after the check", async () => {
    const response = await appWithHandlers().request("/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"a":1}',
    });
    expect(await response.json()).toEqual({ a: 1 });
  });

  test("a thrown error is 500 internal without its message", async () => {
    const response = await appWithHandlers().request("/boom");
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text).type).toBe("urn:convoy:problem:internal");
    expect(text).not.toContain("hunter2");
  });

  test("Hono's HTTP exceptions keep their status as a problem", async () => {
    const response = await appWithHandlers().request("/unsupported");
    expect(response.status).toBe(415);
    expect(((await response.json()) as { type: string }).type).toBe(
      "urn:convoy:problem:unsupported-media-type",
    );
  });

  test("an unknown route is 404 not-found", async () => {
    const response = await appWithHandlers().request("/nowhere");
    expect(response.status).toBe(404);
    expect(((await response.json()) as { type: string }).type).toBe("urn:convoy:problem:not-found");
  });

  test("a known path asked with another method is 405 with Allow naming the path's methods", async () => {
    const app = appWithHandlers();
    for (const [path, method, allow] of [
      ["/echo", "GET", "POST, PUT, PATCH"],
      ["/echo", "DELETE", "POST, PUT, PATCH"],
      ["/boom", "POST", "GET, HEAD"],
      ["/boom", "OPTIONS", "GET, HEAD"],
    ] as const) {
      const response = await app.request(path, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe(allow);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(((await response.json()) as { type: string }).type).toBe(
        "urn:convoy:problem:method-not-allowed",
      );
    }
  });

  test("routes registered after the handler count, parameters and HEAD included", async () => {
    const app = appWithHandlers();
    app.get("/items/:id", (c) => c.text(c.req.param("id")));
    app.delete("/items/:id", (c) => c.body(null, 204));
    const response = await app.request("/items/7", { method: "PUT" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, DELETE");
    // HEAD is answered by the GET route; a POST-only path refuses it.
    expect((await app.request("/items/7", { method: "HEAD" })).status).toBe(200);
    const head = await app.request("/echo", { method: "HEAD" });
    expect(head.status).toBe(405);
    expect(head.headers.get("allow")).toBe("POST, PUT, PATCH");
    expect((await app.request("/items/7/more", { method: "GET" })).status).toBe(404);
  });
});

describe("problemOnError with a thrown ProblemError", () => {
  test("answers the problem as thrown, with its status and members", async () => {
    const app = new Hono();
    app.onError(problemOnError);
    app.get("/thrown", () => {
      throw new ProblemError(
        createProblem("validation", { detail: "bad", errors: [{ path: "a", message: "is wrong" }] }),
      );
    });
    const response = await app.request("/thrown");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toEqual({
      type: "urn:convoy:problem:validation",
      title: "Request validation failed",
      status: 400,
      detail: "bad",
      errors: [{ path: "a", message: "is wrong" }],
    });
  });
});
