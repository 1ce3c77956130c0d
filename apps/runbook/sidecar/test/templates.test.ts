/**
 * The templates api in process, on a real SQLite file: CRUD with versions,
 * the checks zod cannot make, runs made from a template (their values checked
 * per type, recorded but for secrets) and re-runs.
 */
import type { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApp } from "../src/api/app.ts";
import type { Job } from "../src/jobs/schemas.ts";
import { SecretVault } from "../src/jobs/secret-vault.ts";
import type { Template } from "../src/templates/schemas.ts";
import { TemplateDefinitionSchema } from "../src/templates/schemas.ts";
import { validateDefinition } from "../src/templates/validate.ts";
import { migratedDatabase } from "./migrated-database.ts";
import { TempDirs } from "./temp-dirs.ts";

const PORT = 41235;
const TOKEN = "c".repeat(64);
const HOST = `127.0.0.1:${PORT}`;
const SHIPPED = 3;

interface Problem {
  type: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

const temp = new TempDirs();
let db: Database;
let app: OpenAPIHono;
let secrets: SecretVault;

beforeEach(() => {
  const dataDir = temp.create();
  db = migratedDatabase(dataDir);
  secrets = new SecretVault();
  app = createApp({ db, valkey: null, token: TOKEN, port: PORT, allowedOrigins: [], secrets });
});

afterEach(() => {
  db.close();
  temp.removeAll();
});

function call(path: string, method = "GET", body?: unknown): Promise<Response> {
  const headers = new Headers({ Host: HOST, Authorization: `Bearer ${TOKEN}` });
  if (body !== undefined) headers.set("Content-Type", "application/json");
  return Promise.resolve(
    app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
  );
}

async function ok<T>(response: Response | Promise<Response>, status: number): Promise<T> {
  const answer = await response;
  const text = await answer.text();
  expect({ status: answer.status, text }).toEqual({ status, text: expect.any(String) });
  return JSON.parse(text) as T;
}

async function problemOf(
  response: Response | Promise<Response>,
  status: number,
  type: string,
): Promise<Problem> {
  const answer = await response;
  expect(answer.status).toBe(status);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await answer.json()) as Problem;
  expect(problem.type).toBe(type);
  return problem;
}

const VALIDATION = "urn:convoy:problem:validation";

const pathsOf = (problem: Problem) => (problem.errors ?? []).map((error) => error.path).sort();

const EVERY_TYPE = {
  name: "Every type",
  command: "printf '%s|' {{text}} {{count}} {{flag}} {{color}} {{where}} {{token}}",
  parameters: [
    { name: "text", type: "string", pattern: "[a-z]+" },
    { name: "count", type: "number", min: 1, max: 5, integer: true, default: 2 },
    { name: "flag", type: "boolean", default: false },
    { name: "color", type: "choice", options: ["red", "green"], default: "red" },
    { name: "where", type: "path", kind: "directory", default: "/tmp" },
    { name: "token", type: "secret" },
  ],
};

async function createTemplate(body: unknown = EVERY_TYPE): Promise<Template> {
  return ok<Template>(call("/templates", "POST", body), 201);
}

describe("templates shipped with the app", () => {
  test("are listed, and each is a valid template", async () => {
    const page = await ok<{ items: Template[]; nextCursor: string | null }>(call("/templates"), 200);
    expect(page.items.map((template) => template.name).sort()).toEqual([
      "Disk usage of a directory",
      "Ping a host N times",
      "Run a shell command in a directory",
    ]);
    for (const template of page.items) {
      const { id: _i, version: _v, createdAt: _c, updatedAt: _u, ...definition } = template;
      expect(validateDefinition(TemplateDefinitionSchema.parse(definition))).toEqual([]);
    }
  });
});

describe("template CRUD", () => {
  test("create, read, edit as a new version, read the old version, duplicate, delete", async () => {
    const created = await createTemplate();
    expect(created).toMatchObject({
      version: 1,
      name: "Every type",
      workingDirectory: null,
      concurrency: null,
    });
    expect(created.parameters[0]).toMatchObject({ name: "text", required: true });
    expect(await ok<Template>(call(`/templates/${created.id}`), 200)).toEqual(created);

    const edited = await ok<Template>(
      call(`/templates/${created.id}`, "PUT", { ...EVERY_TYPE, name: "Renamed", timeoutSeconds: 60 }),
      200,
    );
    expect(edited).toMatchObject({ id: created.id, version: 2, name: "Renamed", timeoutSeconds: 60 });
    expect(await ok<Template>(call(`/templates/${created.id}/versions/1`), 200)).toMatchObject({
      version: 1,
      name: "Every type",
    });

    const copy = await ok<Template>(call(`/templates/${created.id}/duplicate`, "POST"), 201);
    expect(copy.id).not.toBe(created.id);
    expect(copy).toMatchObject({ version: 1, name: "Renamed (copy)", command: EVERY_TYPE.command });

    expect((await call(`/templates/${created.id}`, "DELETE")).status).toBe(204);
    await problemOf(call(`/templates/${created.id}`), 404, "urn:convoy:problem:not-found");
    await problemOf(call(`/templates/${created.id}`, "DELETE"), 404, "urn:convoy:problem:not-found");
    await problemOf(call(`/templates/${created.id}`, "PUT", EVERY_TYPE), 404, "urn:convoy:problem:not-found");
    // Runs name their version, so versions outlive the template.
    expect((await call(`/templates/${created.id}/versions/2`)).status).toBe(200);
    const page = await ok<{ items: Template[] }>(call("/templates?limit=200"), 200);
    expect(page.items.map((template) => template.id)).not.toContain(created.id);
  });

  test("pages newest first with a cursor; a cursor it did not give is a validation problem", async () => {
    for (let i = 0; i < 3; i++) await createTemplate({ ...EVERY_TYPE, name: `t${i}` });
    const first = await ok<{ items: Template[]; nextCursor: string }>(call("/templates?limit=4"), 200);
    expect(first.items.map((template) => template.name)).toEqual(["t2", "t1", "t0", "Ping a host N times"]);
    const second = await ok<{ items: Template[]; nextCursor: string | null }>(
      call(`/templates?limit=4&cursor=${first.nextCursor}`),
      200,
    );
    expect(second.items).toHaveLength(SHIPPED - 1);
    expect(second.nextCursor).toBeNull();
    const bad = await problemOf(call("/templates?cursor=nope"), 400, VALIDATION);
    expect(pathsOf(bad)).toEqual(["cursor"]);
  });
});

describe("template validation", () => {
  const invalid: [string, unknown, string[]][] = [
    ["a placeholder with no parameter", { name: "x", command: "echo {{nobody}}" }, ["command"]],
    [
      "a parameter name that is not an identifier",
      { name: "x", command: "echo", parameters: [{ name: "not-one", type: "string" }] },
      ["parameters.0.name"],
    ],
    [
      "two parameters of one name",
      {
        name: "x",
        command: "echo {{a}}",
        parameters: [
          { name: "a", type: "string" },
          { name: "a", type: "boolean" },
        ],
      },
      ["parameters.1.name"],
    ],
    [
      "a default of the wrong type",
      { name: "x", command: "echo", parameters: [{ name: "n", type: "number", default: "three" }] },
      ["parameters.0.default"],
    ],
    [
      "a number default beyond its max",
      { name: "x", command: "echo", parameters: [{ name: "n", type: "number", max: 3, default: 4 }] },
      ["parameters.0.default"],
    ],
    [
      "a string default not matching its pattern",
      {
        name: "x",
        command: "echo",
        parameters: [{ name: "s", type: "string", pattern: "\\d+", default: "a" }],
      },
      ["parameters.0.default"],
    ],
    [
      "a pattern that is no regular expression",
      { name: "x", command: "echo", parameters: [{ name: "s", type: "string", pattern: "(" }] },
      ["parameters.0.pattern"],
    ],
    [
      "a choice default not in its options",
      {
        name: "x",
        command: "echo",
        parameters: [{ name: "c", type: "choice", options: ["a"], default: "b" }],
      },
      ["parameters.0.default"],
    ],
    [
      "min greater than max",
      { name: "x", command: "echo", parameters: [{ name: "n", type: "number", min: 5, max: 1 }] },
      ["parameters.0.min"],
    ],
    [
      "an unknown parameter type",
      { name: "x", command: "echo", parameters: [{ name: "n", type: "colour" }] },
      ["parameters.0.type"],
    ],
    ["a blank name and command", { name: " ", command: "" }, ["command", "name"]],
  ];
  for (const [what, body, paths] of invalid) {
    test(`${what} is a validation problem naming the field, and nothing is stored`, async () => {
      const problem = await problemOf(call("/templates", "POST", body), 400, VALIDATION);
      expect(pathsOf(problem)).toEqual(paths);
      for (const error of problem.errors ?? []) expect(error.message).not.toBe("");
      expect(db.query("SELECT count(*) AS n FROM templates").get()).toEqual({ n: SHIPPED });
    });
  }

  test("an edit is checked the same way, and leaves the version as it was", async () => {
    const created = await createTemplate();
    await problemOf(
      call(`/templates/${created.id}`, "PUT", { name: "x", command: "echo {{gone}}" }),
      400,
      VALIDATION,
    );
    expect((await ok<Template>(call(`/templates/${created.id}`), 200)).version).toBe(1);
  });

  test("a 10 MB template body is refused by the body limit with 413, and nothing is stored", async () => {
    const body = { ...EVERY_TYPE, description: "x".repeat(10 * 1024 * 1024) };
    await problemOf(call("/templates", "POST", body), 413, "urn:convoy:problem:payload-too-large");
    expect(db.query("SELECT count(*) AS n FROM templates").get()).toEqual({ n: SHIPPED });
    expect(db.query("SELECT count(*) AS n FROM template_versions").get()).toEqual({ n: SHIPPED });
  });
});

describe("runs from a template", () => {
  const valid = { text: "abc", count: 3, flag: true, color: "green", where: "/var", token: "s3cr3t-value" };

  test("records the template version and the values, but never a secret's", async () => {
    const template = await createTemplate();
    const job = await ok<Job>(call(`/templates/${template.id}/runs`, "POST", { parameters: valid }), 201);
    expect(job).toMatchObject({
      status: "queued",
      name: "Every type",
      templateId: template.id,
      templateVersion: 1,
      parameters: { text: "abc", count: 3, flag: true, color: "green", where: "/var" },
      secretParameters: ["token"],
      attempt: 1,
      retryOf: null,
      failure: null,
    });
    expect(job.command).toBe(
      `printf '%s|' "\${RUNBOOK_PARAM_text}" "\${RUNBOOK_PARAM_count}" "\${RUNBOOK_PARAM_flag}" ` +
        `"\${RUNBOOK_PARAM_color}" "\${RUNBOOK_PARAM_where}" "\${RUNBOOK_PARAM_token}"`,
    );
    expect(await ok<Job>(call(`/jobs/${job.id}`), 200)).toEqual(job);
    // Only the api's memory holds it, for the dispatcher.
    expect(secrets.get(job.id)).toEqual({ RUNBOOK_PARAM_token: "s3cr3t-value" });
    const row = db.query("SELECT * FROM jobs WHERE id = $id").get({ id: job.id });
    expect(JSON.stringify(row)).not.toContain("s3cr3t-value");
    expect(JSON.parse((row as { environment: string }).environment)).toEqual({
      RUNBOOK_PARAM_text: "abc",
      RUNBOOK_PARAM_count: "3",
      RUNBOOK_PARAM_flag: "true",
      RUNBOOK_PARAM_color: "green",
      RUNBOOK_PARAM_where: "/var",
    });
  });

  test("defaults fill what is not given; an edit makes later runs name the new version", async () => {
    const template = await createTemplate();
    await ok(call(`/templates/${template.id}`, "PUT", { ...EVERY_TYPE, name: "v2" }), 200);
    const job = await ok<Job>(
      call(`/templates/${template.id}/runs`, "POST", { parameters: { text: "a", token: "t" } }),
      201,
    );
    expect(job).toMatchObject({
      templateVersion: 2,
      name: "v2",
      parameters: { text: "a", count: 2, flag: false, color: "red", where: "/tmp" },
    });
  });

  const wrong: [string, Record<string, unknown>][] = [
    ["text", { text: "ABC" }],
    ["text", { text: 3 }],
    ["count", { count: "3" }],
    ["count", { count: 0 }],
    ["count", { count: 6 }],
    ["count", { count: 2.5 }],
    ["flag", { flag: "yes" }],
    ["color", { color: "blue" }],
    ["where", { where: "" }],
    ["where", { where: false }],
    ["token", { token: "" }],
    ["text", { text: "a\u0000b" }],
    ["other", { other: "x" }],
  ];
  for (const [field, values] of wrong) {
    test(`${JSON.stringify(values)} is a validation problem naming parameters.${field}`, async () => {
      const template = await createTemplate();
      const body = { parameters: { ...valid, ...values } };
      const problem = await problemOf(call(`/templates/${template.id}/runs`, "POST", body), 400, VALIDATION);
      expect(pathsOf(problem)).toEqual([`parameters.${field}`]);
      expect(db.query("SELECT count(*) AS n FROM jobs").get()).toEqual({ n: 0 });
    });
  }

  test("every required value missing is named at once", async () => {
    const template = await createTemplate();
    const problem = await problemOf(call(`/templates/${template.id}/runs`, "POST", {}), 400, VALIDATION);
    expect(pathsOf(problem)).toEqual(["parameters.text", "parameters.token"]);
  });

  test("a template that does not exist is 404", async () => {
    await problemOf(call("/templates/nope/runs", "POST", {}), 404, "urn:convoy:problem:not-found");
  });
});

describe("POST /jobs/{id}/rerun", () => {
  test("runs the same version with the same values; a secret must be given again", async () => {
    const template = await createTemplate();
    const values = { text: "abc", token: "first-secret" };
    const job = await ok<Job>(call(`/templates/${template.id}/runs`, "POST", { parameters: values }), 201);
    await ok(call(`/templates/${template.id}`, "PUT", { ...EVERY_TYPE, name: "v2" }), 200);

    const refused = await problemOf(
      call(`/jobs/${job.id}/rerun`, "POST", {}),
      400,
      "urn:runbook:problem:secrets-required",
    );
    expect(refused.errors).toEqual([{ path: "secrets.token", message: "is needed again" }]);

    const again = await ok<Job>(call(`/jobs/${job.id}/rerun`, "POST", { secrets: { token: "second" } }), 201);
    expect(again.id).not.toBe(job.id);
    expect(again).toMatchObject({
      templateVersion: 1,
      name: "Every type",
      parameters: job.parameters,
      secretParameters: ["token"],
    });
    expect(secrets.get(again.id)).toEqual({ RUNBOOK_PARAM_token: "second" });
  });

  test("a plain job runs its command again", async () => {
    const job = await ok<Job>(call("/jobs", "POST", { command: "echo hi" }), 201);
    const again = await ok<Job>(call(`/jobs/${job.id}/rerun`, "POST", {}), 201);
    expect(again).toMatchObject({
      command: "echo hi",
      templateId: null,
      parameters: null,
      secretParameters: [],
    });
    await problemOf(call("/jobs/nope/rerun", "POST", {}), 404, "urn:convoy:problem:not-found");
  });
});
