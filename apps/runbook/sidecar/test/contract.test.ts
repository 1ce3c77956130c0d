/**
 * The api answers exactly what its OpenAPI document says, over real HTTP
 * against the real api role: every path with every method the document does
 * not list is 405 with Allow naming those it does; an unknown path is 404;
 * requests the document allows are not refused for what it does not state.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { API_START_TIMEOUT_MS, startApiProcess } from "./api-process.ts";
import { Sidecars } from "./sidecar-process.ts";
import { TempDirs } from "./temp-dirs.ts";

const temp = new TempDirs();
const sidecars = new Sidecars();
const token = randomBytes(32).toString("hex");
let base: string;
/** Each path of the document (and the document's own), with the methods it lists, upper case. */
let listed: Map<string, Set<string>>;
let jobId: string;
/** One of the templates the app ships with (migration 5). */
const TEMPLATE_ID = "00000000-0000-7000-8000-000000000003";

/** A path of the document with its parameters filled in with what exists. */
function concrete(template: string): string {
  const id = template.startsWith("/templates") ? TEMPLATE_ID : jobId;
  return template.replaceAll("{id}", id).replaceAll("{version}", "1");
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const OPERATION_KEYS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

const auth = { Authorization: `Bearer ${token}` };

beforeAll(async () => {
  ({ base } = await startApiProcess(sidecars, temp.create(), token));
  const document = (await (await fetch(`${base}/openapi.json`, { headers: auth })).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  listed = new Map([["/openapi.json", new Set(["GET"])]]);
  for (const [path, item] of Object.entries(document.paths)) {
    const methods = Object.keys(item).filter((key) => OPERATION_KEYS.has(key));
    listed.set(path, new Set(methods.map((method) => method.toUpperCase())));
  }
  const created = await fetch(`${base}/jobs`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ command: "echo contract" }),
  });
  jobId = ((await created.json()) as { id: string }).id;
}, API_START_TIMEOUT_MS);

afterAll(async () => {
  await sidecars.killAll();
  temp.removeAll();
});

/** HEAD is taken wherever GET is (RFC 9110 §9.3.2); Allow says so. */
function allowed(methods: ReadonlySet<string>): string[] {
  const all = new Set(methods);
  if (all.has("GET")) all.add("HEAD");
  return METHODS.filter((method) => all.has(method));
}

describe("a method the document does not list", () => {
  test("is 405 method-not-allowed with Allow, on every path, for every such method", async () => {
    expect(listed.size).toBeGreaterThanOrEqual(7);
    let checked = 0;
    let expected = 0;
    for (const [template, methods] of listed) {
      const path = concrete(template);
      const allow = allowed(methods);
      expected += METHODS.length - allow.length;
      for (const method of METHODS.filter((method) => !allow.includes(method))) {
        const response = await fetch(`${base}${path}`, { method, headers: auth });
        const body = method === "HEAD" ? "" : await response.text();
        const seen = {
          path: template,
          method,
          status: response.status,
          allow: response.headers.get("allow"),
        };
        expect(seen).toEqual({ path: template, method, status: 405, allow: allow.join(", ") });
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        if (method !== "HEAD") {
          expect(JSON.parse(body)).toMatchObject({
            type: "urn:convoy:problem:method-not-allowed",
            status: 405,
          });
        }
        checked += 1;
      }
    }
    expect(checked).toBe(expected);
    expect(checked).toBeGreaterThanOrEqual(5 * 5 + 1 * 4 + 1 * 6);
  });

  test("a listed method reaches its route, HEAD included", async () => {
    for (const [template, methods] of listed) {
      if (!methods.has("GET")) continue;
      const path = concrete(template);
      for (const method of ["GET", "HEAD"]) {
        const { status } = await fetch(`${base}${path}`, { method, headers: auth });
        // Without Valkey, /workers and the output are 503; what matters is that a route answered.
        expect({ path, method, routed: status !== 404 && status !== 405 }).toEqual({
          path,
          method,
          routed: true,
        });
      }
    }
  });

  test("still needs the token first: without it, 401", async () => {
    const response = await fetch(`${base}/jobs`, { method: "DELETE" });
    expect(response.status).toBe(401);
    expect(response.headers.get("allow")).toBeNull();
  });

  test("an unknown path stays 404 not-found, whatever the method", async () => {
    for (const path of ["/nowhere", "/jobs/x/y", "/jobs/", "/health/x"]) {
      for (const method of METHODS) {
        const response = await fetch(`${base}${path}`, { method, headers: auth });
        expect({ path, method, status: response.status }).toEqual({ path, method, status: 404 });
        expect(response.headers.get("allow")).toBeNull();
      }
    }
  });

  test("a CORS preflight from the app's origin is answered as before, on any path", async () => {
    for (const path of ["/jobs", "/health", "/nowhere"]) {
      const response = await fetch(`${base}${path}`, {
        method: "OPTIONS",
        headers: { Origin: "tauri://localhost", "Access-Control-Request-Method": "DELETE" },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe("tauri://localhost");
      expect(response.headers.get("allow")).toBeNull();
    }
  });
});

describe("what the document allows is not refused", () => {
  test("an empty cursor is the first page", async () => {
    const first = await (await fetch(`${base}/jobs`, { headers: auth })).json();
    const response = await fetch(`${base}/jobs?cursor=&limit=50`, { headers: auth });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(first);
  });

  test("the document says a blank command or name is refused, and it is", async () => {
    const document = (await (await fetch(`${base}/openapi.json`, { headers: auth })).json()) as {
      components: { schemas: { CreateJob: { properties: Record<string, { pattern?: string }> } } };
    };
    const { properties } = document.components.schemas.CreateJob;
    expect(properties.command?.pattern).toBe("\\S");
    expect(properties.name?.pattern).toBe("\\S");
    for (const body of [{ command: "   " }, { command: "ok", name: " \t " }]) {
      const response = await fetch(`${base}/jobs`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
    }
  });
});
