/**
 * The attacks the api guard exists for, made with real HTTP against the real
 * api role: a child process as the shell starts it (migrate first), a real
 * port, a real SQLite file. Every attack must be refused with problem+json and
 * a stable type, grant no CORS access, and leave no trace: the jobs table, the
 * api's own view of it and the data directory are the same after as before.
 */

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { databasePath } from "../src/db/database.ts";
import { API_START_TIMEOUT_MS, startApiProcess } from "./api-process.ts";
import { type RawResponse, rawRequest } from "./raw-http.ts";
import { type Sidecar, Sidecars } from "./sidecar-process.ts";
import { TempDirs } from "./temp-dirs.ts";

const MAX_BODY_BYTES = 1024 * 1024;
const EVIL_ORIGIN = "https://evil.example";

const temp = new TempDirs();
const sidecars = new Sidecars();
const token = randomBytes(32).toString("hex");
let dataDir: string;
let port: number;
let base: string;
let host: string;
let api: Sidecar;
/** A job made with the real token before any attack, so there is something to leak or damage. */
let seededJobId: string;

beforeAll(async () => {
  dataDir = temp.create();
  // The environment the shell gives the api (without Valkey, which the api may run without).
  ({ api, port, base } = await startApiProcess(sidecars, dataDir, token));
  host = `127.0.0.1:${port}`;
  const seeded = await fetch(`${base}/jobs`, {
    method: "POST",
    headers: { ...auth(), "Content-Type": "application/json" },
    body: JSON.stringify({ command: "echo seeded", name: "seeded" }),
  });
  expect(seeded.status).toBe(201);
  seededJobId = ((await seeded.json()) as { id: string }).id;
}, API_START_TIMEOUT_MS);

afterAll(async () => {
  await sidecars.killAll();
  temp.removeAll();
});

const auth = (value = token) => ({ Authorization: `Bearer ${value}` });

interface Trace {
  /** Every row of the jobs table, read from the SQLite file itself. */
  rows: unknown[];
  /** What the api lists with the real token. */
  listed: unknown[];
  files: string[];
}

async function trace(): Promise<Trace> {
  const db = new Database(databasePath(dataDir), { readonly: true });
  let rows: unknown[];
  try {
    rows = db.query("SELECT * FROM jobs ORDER BY id").all();
  } finally {
    db.close();
  }
  const response = await fetch(`${base}/jobs?limit=200`, { headers: auth() });
  expect(response.status).toBe(200);
  const { items } = (await response.json()) as { items: unknown[] };
  const files = readdirSync(dataDir, { recursive: true }).map(String).sort();
  return { rows, listed: items, files };
}

/** Runs `attack` and fails if anything it can reach changed. */
async function leavesNoTrace<T>(attack: () => Promise<T>): Promise<T> {
  const before = await trace();
  expect(before.rows.length).toBeGreaterThan(0);
  const outcome = await attack();
  expect(await trace()).toEqual(before);
  return outcome;
}

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

async function answerOf(response: Response): Promise<Answer> {
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A problem+json refusal with a stable type, and no CORS grant of any kind. */
function expectRefused(answer: Answer | RawResponse, status: number, slug: string): void {
  expect({ status: answer.status, body: answer.body }).toMatchObject({ status });
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  const problem = JSON.parse(answer.body) as { type: string; status: number; title: unknown };
  expect(problem.type).toBe(`urn:convoy:problem:${slug}`);
  expect(problem.status).toBe(status);
  expect(typeof problem.title).toBe("string");
  expectNoCorsGrant(answer.headers);
  // Nothing about the seeded job, nor the token, leaks into a refusal.
  expect(answer.body).not.toContain(seededJobId);
  expect(answer.body).not.toContain(token);
}

function expectNoCorsGrant(headers: Headers): void {
  expect(headers.get("access-control-allow-origin")).toBeNull();
  expect(headers.get("access-control-allow-credentials")).toBeNull();
  expect(headers.get("access-control-allow-methods")).toBeNull();
  expect(headers.get("access-control-allow-headers")).toBeNull();
  for (const [name, value] of headers) {
    if (name.startsWith("access-control-")) expect(value).not.toBe("*");
  }
}

/** A raw request line plus headers, Connection: close added. */
function raw(requestLine: string, headers: readonly string[], body?: string): Promise<RawResponse> {
  const head = [requestLine, ...headers, "Connection: close"];
  if (body === undefined) return rawRequest(port, head);
  return rawRequest(port, [...head, `Content-Length: ${Buffer.byteLength(body)}`], [body]);
}

const newJob = JSON.stringify({ command: "touch /tmp/pwned" });

describe("the harness can see a change", () => {
  // Without this, "no trace" could pass because the trace never changes.
  test("a raw POST with the right Host and token creates a job, and the trace shows it", async () => {
    const before = await trace();
    const created = await raw(
      "POST /jobs HTTP/1.1",
      [`Host: ${host}`, `Authorization: Bearer ${token}`, "Content-Type: application/json"],
      JSON.stringify({ command: "echo control" }),
    );
    expect(created.status).toBe(201);
    const after = await trace();
    expect(after.rows.length).toBe(before.rows.length + 1);
    expect(after.listed.length).toBe(before.listed.length + 1);
  });
});

describe("no token", () => {
  test.each([
    ["GET", "/jobs"],
    ["GET", "/jobs/SEEDED"],
    ["GET", "/workers"],
    ["GET", "/openapi.json"],
    ["POST", "/jobs"],
  ])("%s %s is 401 unauthorized", async (method, path) => {
    const answer = await leavesNoTrace(async () =>
      answerOf(
        await fetch(`${base}${path.replace("SEEDED", seededJobId)}`, {
          method,
          ...(method === "POST" ? { headers: { "Content-Type": "application/json" }, body: newJob } : {}),
        }),
      ),
    );
    expectRefused(answer, 401, "unauthorized");
    expect(answer.headers.get("www-authenticate")).toBe("Bearer");
  });
});

describe("a wrong token", () => {
  const wrongTokens = () => [
    ["a random token of the right length", randomBytes(32).toString("hex")],
    ["the token with its last character changed", token.slice(0, -1) + (token.endsWith("0") ? "1" : "0")],
    ["the token with a character more", `${token}0`],
    ["the token without its last character", token.slice(0, -1)],
    ["the token upper-cased", token.toUpperCase()],
  ];

  test("is 401 for GET and POST, whatever is wrong with it", async () => {
    for (const [, wrong] of wrongTokens()) {
      const listed = await leavesNoTrace(async () =>
        answerOf(await fetch(`${base}/jobs`, { headers: auth(wrong) })),
      );
      expectRefused(listed, 401, "unauthorized");
      const created = await leavesNoTrace(async () =>
        answerOf(
          await fetch(`${base}/jobs`, {
            method: "POST",
            headers: { ...auth(wrong), "Content-Type": "application/json" },
            body: newJob,
          }),
        ),
      );
      expectRefused(created, 401, "unauthorized");
    }
  });

  test.each([
    ["Basic", `Basic ${token}`],
    ["the bare token", token],
    ["two tokens", `Bearer ${token}, Bearer ${token}`],
    ["the token in the query string", null],
  ])("the right token in the wrong shape (%s) is 401", async (_, header) => {
    const answer = await leavesNoTrace(async () =>
      answerOf(
        header === null
          ? await fetch(`${base}/jobs?token=${token}&access_token=${token}`)
          : await fetch(`${base}/jobs`, { headers: { Authorization: header } }),
      ),
    );
    expectRefused(answer, 401, "unauthorized");
  });
});

describe("a right token with a foreign Host (DNS rebinding)", () => {
  test.each([
    "evil.example",
    "evil.example:PORT",
    "127.0.0.1:PORT.evil.example",
    "127.0.0.1:1",
    "localhost",
    "[::1]:PORT",
  ])("Host %p is 403 forbidden-host for GET and POST", async (hostTemplate) => {
    const foreign = hostTemplate.replace("PORT", String(port));
    const listed = await leavesNoTrace(() =>
      raw("GET /jobs HTTP/1.1", [`Host: ${foreign}`, `Authorization: Bearer ${token}`]),
    );
    expectRefused(listed, 403, "forbidden-host");
    expect(listed.body).not.toContain("seeded");
    const created = await leavesNoTrace(() =>
      raw(
        "POST /jobs HTTP/1.1",
        [`Host: ${foreign}`, `Authorization: Bearer ${token}`, "Content-Type: application/json"],
        newJob,
      ),
    );
    expectRefused(created, 403, "forbidden-host");
  });

  test("a second, foreign Host header is 403 in either order", async () => {
    for (const hosts of [
      [host, "evil.example"],
      ["evil.example", host],
    ]) {
      const answer = await leavesNoTrace(() =>
        raw("GET /jobs HTTP/1.1", [...hosts.map((h) => `Host: ${h}`), `Authorization: Bearer ${token}`]),
      );
      expectRefused(answer, 403, "forbidden-host");
    }
  });

  test("no Host at all (HTTP/1.0) is 403", async () => {
    const answer = await leavesNoTrace(() => raw("GET /jobs HTTP/1.0", [`Authorization: Bearer ${token}`]));
    expectRefused(answer, 403, "forbidden-host");
  });

  test("the same raw request with our Host is served (the refusals above are the Host's doing)", async () => {
    for (const ours of [host, `localhost:${port}`]) {
      const answer = await raw("GET /jobs HTTP/1.1", [`Host: ${ours}`, `Authorization: Bearer ${token}`]);
      expect(answer.status).toBe(200);
      expect(answer.body).toContain(seededJobId);
    }
  });
});

describe("a right token with a foreign Origin", () => {
  test.each([
    EVIL_ORIGIN,
    "null",
    "http://127.0.0.1:1",
    "http://localhost:PORT",
    "http://127.0.0.1:PORT",
    "tauri://localhost.evil.example",
    "http://tauri.localhost:8080",
    "https://tauri.localhost",
  ])("Origin %p is 403 forbidden-origin for GET and POST, with no CORS headers", async (originTemplate) => {
    const origin = originTemplate.replace("PORT", String(port));
    const listed = await leavesNoTrace(async () =>
      answerOf(await fetch(`${base}/jobs`, { headers: { ...auth(), Origin: origin } })),
    );
    expectRefused(listed, 403, "forbidden-origin");
    const created = await leavesNoTrace(async () =>
      answerOf(
        await fetch(`${base}/jobs`, {
          method: "POST",
          headers: { ...auth(), Origin: origin, "Content-Type": "application/json" },
          body: newJob,
        }),
      ),
    );
    expectRefused(created, 403, "forbidden-origin");
  });

  test("a CSRF-style text/plain POST from a foreign Origin is 403, not 415", async () => {
    const answer = await leavesNoTrace(async () =>
      answerOf(
        await fetch(`${base}/jobs`, {
          method: "POST",
          headers: { Origin: EVIL_ORIGIN, "Content-Type": "text/plain" },
          body: newJob,
        }),
      ),
    );
    expectRefused(answer, 403, "forbidden-origin");
  });
});

describe("a CORS preflight from a foreign origin", () => {
  test.each([
    ["/jobs", "POST", "authorization,content-type"],
    ["/jobs", "GET", "authorization"],
    ["/jobs/SEEDED", "DELETE", "authorization"],
    ["/health", "GET", ""],
  ])("OPTIONS %s (for %s) is 403 with no CORS headers", async (path, method, requestHeaders) => {
    for (const origin of [EVIL_ORIGIN, "http://127.0.0.1:1", "null"]) {
      const answer = await leavesNoTrace(async () =>
        answerOf(
          await fetch(`${base}${path.replace("SEEDED", seededJobId)}`, {
            method: "OPTIONS",
            headers: {
              Origin: origin,
              "Access-Control-Request-Method": method,
              ...(requestHeaders ? { "Access-Control-Request-Headers": requestHeaders } : {}),
            },
          }),
        ),
      );
      expectRefused(answer, 403, "forbidden-origin");
    }
  });

  test("the app's own origin does get its preflight answered (the refusals above are the Origin's doing)", async () => {
    const answer = await fetch(`${base}/jobs`, {
      method: "OPTIONS",
      headers: {
        Origin: "tauri://localhost",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
      },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe("tauri://localhost");
  });
});

describe("an oversized body", () => {
  const oversized = () => JSON.stringify({ command: "x".repeat(MAX_BODY_BYTES) });

  test("with Content-Length is 413, with or without a valid token", async () => {
    for (const headers of [auth(), {}]) {
      const answer = await leavesNoTrace(async () =>
        answerOf(
          await fetch(`${base}/jobs`, {
            method: "POST",
            headers: { ...headers, "Content-Type": "application/json" },
            body: oversized(),
          }),
        ),
      );
      // Without a token it is refused before its size matters.
      if ("Authorization" in headers) expectRefused(answer, 413, "payload-too-large");
      else expectRefused(answer, 401, "unauthorized");
    }
  });

  test("streamed in chunks without Content-Length is 413", async () => {
    const chunked = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
    const chunks = [chunked('{"command": "')];
    for (let sent = 0; sent <= MAX_BODY_BYTES; sent += 64 * 1024) chunks.push(chunked("x".repeat(64 * 1024)));
    chunks.push(chunked('"}'), "0\r\n\r\n");
    const answer = await leavesNoTrace(() =>
      rawRequest(
        port,
        [
          "POST /jobs HTTP/1.1",
          `Host: ${host}`,
          `Authorization: Bearer ${token}`,
          "Content-Type: application/json",
          "Transfer-Encoding: chunked",
          // No "Connection: close": closing with our unread chunks still queued
          // would reset the connection, and the reset can discard the 413 before
          // we read it. Kept alive, the server reads past the rest.
        ],
        chunks,
      ),
    );
    expectRefused(answer, 413, "payload-too-large");
  });
});

describe("malformed JSON and schema violations", () => {
  const post = (body: string, contentType = "application/json") =>
    leavesNoTrace(async () =>
      answerOf(
        await fetch(`${base}/jobs`, {
          method: "POST",
          headers: { ...auth(), "Content-Type": contentType },
          body,
        }),
      ),
    );

  test.each(['{"command":', "{command: 'ls'}", '{"command":"ls"}}', "", "\u0000", '{"command":"ls"'])(
    "malformed %p is 400 malformed-json",
    async (body) => {
      expectRefused(await post(body), 400, "malformed-json");
    },
  );

  test("no body at all (no Content-Length) declared as JSON is 400 malformed-json", async () => {
    const answer = await leavesNoTrace(() =>
      raw("POST /jobs HTTP/1.1", [
        `Host: ${host}`,
        `Authorization: Bearer ${token}`,
        "Content-Type: application/json",
      ]),
    );
    expectRefused(answer, 400, "malformed-json");
  });

  test.each([
    ["an empty object", "{}"],
    ["null", "null"],
    ["an array", "[]"],
    ["a string", '"ls"'],
    ["an empty command", '{"command":""}'],
    ["a blank command", '{"command":"   "}'],
    ["a numeric command", '{"command":42}'],
    ["an array command", '{"command":["ls"]}'],
    ["an empty name", '{"command":"ls","name":""}'],
    ["a command of 8193 characters", JSON.stringify({ command: "x".repeat(8193) })],
  ])("%s is 400 validation", async (_, body) => {
    expectRefused(await post(body), 400, "validation");
  });

  test("a JSON body labelled text/plain is 415", async () => {
    expectRefused(await post(newJob, "text/plain"), 415, "unsupported-media-type");
  });
});

describe("path traversal", () => {
  // Bun resolves `..` and `%2e%2e` segments before routing, so these reach
  // /etc/passwd, /, or /jobs/{id} with an id that is only ever a SQL parameter.
  test.each([
    "/jobs/..%2f..%2fetc%2fpasswd",
    "/jobs/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/jobs/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/jobs/..%5c..%5cetc%5cpasswd",
    "/jobs/%252e%252e%252fetc%252fpasswd",
    "/jobs/%c0%ae%c0%ae%2fetc%2fpasswd",
    "/jobs/..%00/etc/passwd",
    "/../../etc/passwd",
    "/jobs/../../etc/passwd",
    "/jobs/%2e%2e/%2e%2e/etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "//etc/passwd",
    "/openapi.json/../../../etc/passwd",
  ])("GET %s with the token is 404 not-found and reads no file", async (path) => {
    const answer = await leavesNoTrace(() =>
      raw(`GET ${path} HTTP/1.1`, [`Host: ${host}`, `Authorization: Bearer ${token}`]),
    );
    expectRefused(answer, 404, "not-found");
    expect(answer.body).not.toContain("root:");
  });

  test.each([
    "/jobs/..%2f..%2fetc%2fpasswd",
    "/../../etc/passwd",
    "/health/../jobs",
    "/health/%2e%2e/jobs",
    "/health/..%2fjobs",
    "/health/./../jobs",
    "/health/",
    "/HEALTH",
  ])("GET %s without the token is 401: the public /health is no way in", async (path) => {
    const answer = await leavesNoTrace(() => raw(`GET ${path} HTTP/1.1`, [`Host: ${host}`]));
    expectRefused(answer, 401, "unauthorized");
  });

  test("POST /health/../jobs without the token is 401 and creates nothing", async () => {
    const answer = await leavesNoTrace(() =>
      raw("POST /health/../jobs HTTP/1.1", [`Host: ${host}`, "Content-Type: application/json"], newJob),
    );
    expectRefused(answer, 401, "unauthorized");
  });
});

describe("after every attack", () => {
  test("the api is still up, logged no unhandled error (no 500), and no log line carries the token", async () => {
    expect(api.child.exitCode).toBeNull();
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(api.stderr.text).not.toContain("unhandled error");
    expect(api.stderr.text).not.toContain(token);
    expect(api.stdout.text).toBe(`convoy:ready port=${port}\n`);
  });
});
