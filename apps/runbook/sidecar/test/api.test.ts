import type { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApp } from "../src/api/app.ts";
import { MIGRATIONS } from "../src/db/migrations.ts";
import { encodeCursor } from "../src/jobs/cursor.ts";
import type { Job } from "../src/jobs/schemas.ts";
import { migratedDatabase } from "./migrated-database.ts";
import { recordingBackchannel } from "./recording-backchannel.ts";
import { TempDirs } from "./temp-dirs.ts";

const PORT = 41234;
const TOKEN = "a".repeat(32) + "b".repeat(32);
const HOST = `127.0.0.1:${PORT}`;

interface JobPage {
  items: Job[];
  nextCursor: string | null;
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

const temp = new TempDirs();
let db: Database;
let app: OpenAPIHono;

beforeEach(() => {
  const dataDir = temp.create();
  db = migratedDatabase(dataDir);
  broadcasts.length = 0;
  app = createApp({
    db,
    valkey: null,
    token: TOKEN,
    port: PORT,
    allowedOrigins: ["tauri://localhost"],
    backchannel: recordingChannel,
  });
});

/** What the api asked the shell to broadcast. */
const { backchannel: recordingChannel, broadcasts } = recordingBackchannel();

afterEach(() => {
  db.close();
  temp.removeAll();
});

async function call(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set("Host", HOST);
  if (token !== null) headers.set("Authorization", `Bearer ${token}`);
  return app.request(path, { ...rest, headers });
}

function postJob(body: unknown): Promise<Response> {
  return call("/jobs", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function createJob(body: { command: string; name?: string }): Promise<Job> {
  const response = await postJob(body);
  expect(response.status).toBe(201);
  return (await response.json()) as Job;
}

async function expectProblem(response: Response, status: number, slug: string): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as Problem;
  expect(problem.type).toBe(`urn:convoy:problem:${slug}`);
  expect(problem.status).toBe(status);
  expect(typeof problem.title).toBe("string");
  return problem;
}

describe("GET /health", () => {
  test("answers without a token", async () => {
    const response = await call("/health", { token: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ok",
      version: "0.1.0",
      schemaVersion: MIGRATIONS.length,
      valkey: "disabled",
    });
  });
});

describe("POST /jobs", () => {
  test("creates a queued job", async () => {
    const job = await createJob({ command: "  make test  ", name: "Tests" });
    expect(job).toMatchObject({
      name: "Tests",
      command: "make test",
      status: "queued",
      exitCode: null,
      startedAt: null,
      finishedAt: null,
    });
    expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(job.createdAt).toISOString()).toBe(job.createdAt);
  });

  test("names a job after the start of its command by default", async () => {
    const command = `echo ${"x".repeat(100)}`;
    expect((await createJob({ command })).name).toBe(command.slice(0, 60));
    expect((await createJob({ command: "make\n  build" })).name).toBe("make build");
  });

  test("a validation failure is a 400 problem listing each field", async () => {
    const problem = await expectProblem(await postJob({ command: "   ", name: "" }), 400, "validation");
    expect(problem.errors?.map((error) => error.path).sort()).toEqual(["command", "name"]);
    for (const error of problem.errors ?? []) expect(error.message.length).toBeGreaterThan(0);
  });

  test("a command over 8192 characters is refused", async () => {
    const problem = await expectProblem(await postJob({ command: "x".repeat(8193) }), 400, "validation");
    expect(problem.errors).toEqual([{ path: "command", message: expect.any(String) }]);
  });

  test("malformed JSON is a 400 malformed-json problem", async () => {
    const response = await call("/jobs", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"command": ',
    });
    await expectProblem(response, 400, "malformed-json");
  });

  test("a body that is not JSON is 415", async () => {
    const response = await call("/jobs", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "make test",
    });
    await expectProblem(response, 415, "unsupported-media-type");
  });

  test("a body over 1 MiB is 413", async () => {
    await expectProblem(await postJob({ command: "x".repeat(1024 * 1024) }), 413, "payload-too-large");
  });
});

describe("GET /jobs/{id}", () => {
  test("returns the job", async () => {
    const job = await createJob({ command: "ls" });
    const response = await call(`/jobs/${job.id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(job);
  });

  test("an unknown id is a 404 problem", async () => {
    const problem = await expectProblem(await call("/jobs/no-such-job"), 404, "not-found");
    expect(problem.detail).toContain("no-such-job");
  });
});

describe("GET /jobs", () => {
  test("pages newest first across two pages", async () => {
    const created: Job[] = [];
    for (let i = 0; i < 5; i++) created.push(await createJob({ command: `job ${i}` }));
    const newestFirst = created.toReversed().map((job) => job.id);

    const first = await call("/jobs?limit=3");
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as JobPage;
    expect(page1.items.map((job) => job.id)).toEqual(newestFirst.slice(0, 3));
    expect(page1.nextCursor).toEqual(expect.any(String));

    const page2 = (await (await call(`/jobs?limit=3&cursor=${page1.nextCursor}`)).json()) as JobPage;
    expect(page2.items.map((job) => job.id)).toEqual(newestFirst.slice(3));
    expect(page2.nextCursor).toBeNull();
  });

  test("a job created while paging does not shift later pages", async () => {
    for (let i = 0; i < 4; i++) await createJob({ command: `job ${i}` });
    const page1 = (await (await call("/jobs?limit=2")).json()) as JobPage;
    await createJob({ command: "late" });
    const page2 = (await (await call(`/jobs?limit=2&cursor=${page1.nextCursor}`)).json()) as JobPage;
    const seen = [...page1.items, ...page2.items].map((job) => job.command);
    expect(seen).toEqual(["job 3", "job 2", "job 1", "job 0"]);
  });

  test("defaults to 50 per page and an empty list is fine", async () => {
    expect(await (await call("/jobs")).json()).toEqual({ items: [], nextCursor: null });
  });

  test.each(["0", "201", "abc", "2.5"])("limit=%p is a validation problem", async (limit) => {
    const problem = await expectProblem(await call(`/jobs?limit=${limit}`), 400, "validation");
    expect(problem.errors?.[0]?.path).toBe("limit");
  });

  test.each([
    "not a cursor",
    "e30",
    Buffer.from("[1,2]").toString("base64url"),
    encodeCursor({ createdAt: "yesterday", id: "x" }),
  ])("a malformed cursor %p is a validation problem", async (cursor) => {
    const problem = await expectProblem(
      await call(`/jobs?cursor=${encodeURIComponent(cursor)}`),
      400,
      "validation",
    );
    expect(problem.errors).toEqual([{ path: "cursor", message: expect.any(String) }]);
  });
});

describe("security", () => {
  test.each(["/jobs", "/jobs/x", "/workers", "/openapi.json", "/nowhere"])(
    "%s requires the token",
    async (path) => {
      const response = await call(path, { token: null });
      expect(response.headers.get("www-authenticate")).toBe("Bearer");
      await expectProblem(response, 401, "unauthorized");
    },
  );

  test("a wrong token is refused", async () => {
    await expectProblem(await call("/jobs", { token: "b".repeat(64) }), 401, "unauthorized");
  });

  test("a foreign Origin is refused even with the token", async () => {
    const response = await call("/jobs", { headers: { Origin: "https://example.com" } });
    await expectProblem(response, 403, "forbidden-origin");
  });

  test("the app's Origin gets CORS headers", async () => {
    const response = await call("/jobs", { headers: { Origin: "tauri://localhost" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("tauri://localhost");
  });

  test("an unknown route with the token is a 404 problem", async () => {
    await expectProblem(await call("/nowhere"), 404, "not-found");
  });
});

describe("GET /openapi.json", () => {
  test("serves the OpenAPI 3.1 document to a caller with the token", async () => {
    const response = await call("/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; info: { title: string }; paths: object };
    expect(document.openapi).toBe("3.1.0");
    expect(document.info.title).toBe("Runbook API");
    expect(Object.keys(document.paths)).toEqual([
      "/health",
      "/jobs",
      "/jobs/{id}",
      "/jobs/{id}/cancel",
      "/jobs/{id}/output",
      "/jobs/{id}/rerun",
      "/workers",
      "/templates",
      "/templates/{id}",
      "/templates/{id}/versions/{version}",
      "/templates/{id}/duplicate",
      "/templates/{id}/runs",
      "/jobs/{id}/lines",
      "/search",
      "/jobs/{id}/search",
    ]);
  });
});

describe("internal errors", () => {
  test("a database failure is a 500 problem that leaks nothing", async () => {
    db.run("DROP TABLE jobs");
    const response = await call("/jobs");
    const text = await response.clone().text();
    await expectProblem(response, 500, "internal");
    expect(text).not.toContain("jobs");
    expect(text).not.toContain("SQLite");
  });
});

describe("windows stay in sync", () => {
  test("a created job is announced to every window as jobs:changed", async () => {
    const job = await createJob({ command: "echo sync" });
    expect(broadcasts).toEqual([{ event: "jobs:changed", payload: { id: job.id } }]);
  });

  test("a refused request announces nothing", async () => {
    await postJob({ command: "" });
    await call("/jobs", { method: "POST", token: null, body: JSON.stringify({ command: "x" }) });
    expect(broadcasts).toEqual([]);
  });
});
