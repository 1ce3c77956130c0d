/**
 * Bad input wherever it can enter, on real processes: redis-server and the
 * migrate, api and worker roles as the shell starts them, and real jobs. Each
 * gets a clear typed answer, and nothing stored before is lost: a template,
 * its old version, a finished job and its output read the same afterwards.
 * (The other bad inputs of a run's values, a template's fields and the body
 * limit on create are in templates.test.ts and template-runs.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import { freePort } from "@convoy/testing";
import type { Job, JobOutput } from "../src/jobs/schemas.ts";
import type { Template } from "../src/templates/schemas.ts";
import { API_START_TIMEOUT_MS } from "./api-process.ts";
import { type Sidecar, Sidecars } from "./sidecar-process.ts";
import { TempDirs } from "./temp-dirs.ts";

const temp = new TempDirs();
const sidecars = new Sidecars();
const token = "b".repeat(64);
const VALIDATION = "urn:convoy:problem:validation";
const TOO_LARGE = "urn:convoy:problem:payload-too-large";
let server: RedisServer;
let base: string;
let worker: Sidecar;

beforeAll(async () => {
  server = await RedisServer.start();
  const dataDir = temp.create();
  const valkeyEnv = { CONVOY_VALKEY_SOCKET: server.socket, CONVOY_VALKEY_PASSWORD: server.password };
  const migrated = await sidecars.run(["migrate"], { CONVOY_DATA_DIR: dataDir });
  expect(migrated.exitCode).toBe(0);
  const port = await freePort();
  const api = sidecars.start(["api"], {
    CONVOY_DATA_DIR: dataDir,
    CONVOY_API_PORT: String(port),
    CONVOY_API_TOKEN: token,
    ...valkeyEnv,
  });
  await api.stdout.waitFor(/^convoy:ready port=\d+\n/m, API_START_TIMEOUT_MS);
  base = `http://127.0.0.1:${port}`;
  worker = sidecars.start(["worker"], { CONVOY_DATA_DIR: temp.create(), ...valkeyEnv });
  await worker.stdout.waitFor(/^convoy:ready worker\n/m, API_START_TIMEOUT_MS);
}, API_START_TIMEOUT_MS * 2);

afterAll(async () => {
  await sidecars.killAll();
  await server.dispose();
  temp.removeAll();
});

interface Answer<T> {
  status: number;
  body: T;
}

/** `body` is sent as it is when a string (raw JSON), else as JSON. */
async function call<T>(path: string, method = "GET", body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? null : JSON.parse(text)) as T };
}

interface ProblemBody {
  type: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

async function problemOf(
  answer: Promise<Answer<unknown>>,
  status: number,
  type: string,
): Promise<ProblemBody> {
  const { status: got, body } = await answer;
  expect({ status: got, type: (body as ProblemBody).type }).toEqual({ status, type });
  return body as ProblemBody;
}

const ENDED = new Set(["succeeded", "failed", "cancelled", "interrupted"]);

/** Waits for the job to end; then its whole output through the api, with the number of pages read. */
async function finished(id: string, timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  let job: Job;
  for (;;) {
    job = (await call<Job>(`/jobs/${id}`)).body;
    if (ENDED.has(job.status)) break;
    if (performance.now() > deadline) throw new Error(`job ${id} did not end: ${JSON.stringify(job)}`);
    await Bun.sleep(50);
  }
  const stdout: string[] = [];
  const stderr: string[] = [];
  let after = "0";
  for (;;) {
    const { status, body } = await call<JobOutput>(`/jobs/${id}/output?after=${after}&wait=2000&limit=1000`);
    expect(status).toBe(200);
    for (const chunk of body.chunks) (chunk.stream === "stdout" ? stdout : stderr).push(chunk.text);
    after = body.cursor;
    if (body.end) return { job, stdout: stdout.join(""), stderr: stderr.join("") };
  }
}

async function submit(command: string): Promise<string> {
  const { status, body } = await call<Job>("/jobs", "POST", { command });
  expect(status).toBe(201);
  return body.id;
}

/** The worker's peak resident memory so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error("no VmHWM");
  return Number(match[1]) * 1024;
}

/** Resets the peak so far to what is resident now (Linux: writing 5 to clear_refs). */
function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

const DEFINITION = {
  name: "Every type",
  command: "printf '%s\\n' {{text}} {{count}} {{flag}} {{color}} {{where}}",
  parameters: [
    { name: "text", type: "string", pattern: "[a-z]+" },
    { name: "count", type: "number", min: 1, max: 5, integer: true },
    { name: "flag", type: "boolean", default: false },
    { name: "color", type: "choice", options: ["red", "green"] },
    { name: "where", type: "path", kind: "directory" },
    { name: "token", type: "secret", required: false },
  ],
};
const VALID = { text: "abc", count: 2, flag: true, color: "green", where: "/tmp" };

describe("bad input leaves what is stored as it was", () => {
  let template: Template;
  let seeded: Job;
  let before: string;

  /** Everything stored that bad input could touch, read through the api. */
  async function stored(): Promise<string> {
    const reads = await Promise.all([
      call(`/templates/${template.id}`),
      call(`/templates/${template.id}/versions/1`),
      call("/templates?limit=100"),
      call("/jobs?limit=100"),
      call(`/jobs/${seeded.id}/output?after=0&limit=1000`),
    ]);
    return JSON.stringify(reads);
  }

  beforeAll(async () => {
    const created = await call<Template>("/templates", "POST", DEFINITION);
    expect(created.status).toBe(201);
    const edited = await call<Template>(`/templates/${created.body.id}`, "PUT", {
      ...DEFINITION,
      description: "the second version",
    });
    expect(edited.body.version).toBe(2);
    template = edited.body;
    const run = await call<Job>(`/templates/${template.id}/runs`, "POST", { parameters: VALID });
    expect(run.status).toBe(201);
    const output = await finished(run.body.id);
    expect(output.job.status).toBe("succeeded");
    expect(output.stdout).toBe("abc\n2\ntrue\ngreen\n/tmp\n");
    seeded = output.job;
    before = await stored();
  }, 30_000);

  // Raw JSON bodies: 1e400 parses to Infinity, which JSON itself cannot carry.
  const values: [string, string, string][] = [
    ["a number too large for a double (1e400)", '{"count": 1e400}', "count"],
    ["a number given null", '{"count": null}', "count"],
    ["a number given an array", '{"count": [2]}', "count"],
    ["a number given a boolean", '{"count": true}', "count"],
    ["a boolean given 1", '{"flag": 1}', "flag"],
    ["a boolean given the string true", '{"flag": "true"}', "flag"],
    ["a choice given a number", '{"color": 1}', "color"],
    ["a choice given another case", '{"color": "Green"}', "color"],
    ["a string given an object", '{"text": {"a": 1}}', "text"],
    ["a string of a million characters", `{"text": "${"a".repeat(1_000_000)}"}`, "text"],
    ["a path with a NUL", '{"where": "/tmp\\u0000/x"}', "where"],
    ["a secret given a number", '{"token": 5}', "token"],
  ];
  for (const [what, raw, field] of values) {
    test(`a run's value: ${what} is a validation problem naming parameters.${field}`, async () => {
      const parameters = { ...VALID, ...JSON.parse(raw.replace("1e400", '"__inf__"')) };
      const body = JSON.stringify({ parameters }).replace('"__inf__"', "1e400");
      const problem = await problemOf(call(`/templates/${template.id}/runs`, "POST", body), 400, VALIDATION);
      // A million characters may be refused by the body limit instead; either way it is typed.
      expect(problem.errors?.map((error) => error.path)).toEqual([`parameters.${field}`]);
      expect(await stored()).toBe(before);
    });
  }

  test("parameters given as an array, or as a string, are a validation problem naming parameters", async () => {
    for (const parameters of [["abc"], "abc", null]) {
      const problem = await problemOf(
        call(`/templates/${template.id}/runs`, "POST", { parameters }),
        400,
        VALIDATION,
      );
      expect(problem.errors?.map((error) => error.path)).toEqual(["parameters"]);
    }
    expect(await stored()).toBe(before);
  });

  test("an edit adding a placeholder with no parameter is refused; the template keeps its version", async () => {
    const problem = await problemOf(
      call(`/templates/${template.id}`, "PUT", { ...DEFINITION, command: "echo {{text}} {{nobody}}" }),
      400,
      VALIDATION,
    );
    expect(problem.errors?.map((error) => error.path)).toEqual(["command"]);
    expect(problem.errors?.[0]?.message).toContain("nobody");
    expect(await stored()).toBe(before);
  });

  test("a 10 MB edit is refused by the body limit with 413; the template keeps its version", async () => {
    const body = { ...DEFINITION, description: "x".repeat(10 * 1024 * 1024) };
    await problemOf(call(`/templates/${template.id}`, "PUT", body), 413, TOO_LARGE);
    expect(await stored()).toBe(before);
  });

  test("a 10 MB template of deeply nested JSON is refused with 413, not parsed", async () => {
    const depth = 5 * 1024 * 1024;
    const body = `{"name":"x","command":"echo","env":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    await problemOf(call("/templates", "POST", body), 413, TOO_LARGE);
    expect(await stored()).toBe(before);
  });

  test("a template body that is not JSON, or JSON of the wrong shape, is typed and stores nothing", async () => {
    await problemOf(
      call("/templates", "POST", '{"name": "x", "command": '),
      400,
      "urn:convoy:problem:malformed-json",
    );
    await problemOf(call("/templates", "POST", "[]"), 400, VALIDATION);
    await problemOf(call("/templates", "POST", '"a string"'), 400, VALIDATION);
    expect(await stored()).toBe(before);
  });
});

describe("output no one expects", () => {
  test("a 50 MB line goes through the worker to storage whole, the worker's memory bounded", async () => {
    const bytes = 50 * 1024 * 1024;
    const pid = worker.child.pid;
    resetPeakRss(pid);
    const baseline = peakRss(pid);
    // One line of 50 MiB of 'x' and its newline, with no newline before its end.
    const id = await submit(`head -c ${bytes} /dev/zero | tr '\\0' x; echo; echo after`);
    const { job, stdout } = await finished(id, 120_000);
    const peak = peakRss(pid);
    expect(job).toMatchObject({ status: "succeeded", exitCode: 0, outputDroppedBytes: 0 });
    expect(stdout.length).toBe(bytes + "\nafter\n".length);
    expect(stdout.endsWith("x\nafter\n")).toBe(true);
    expect(stdout.indexOf("\n")).toBe(bytes);
    expect(/^x*$/.test(stdout.slice(0, bytes))).toBe(true);
    // The worker holds a batch and a read at a time, never the line: its peak
    // grows by less than the line's own 50 MiB. (What it grows by is the
    // garbage collector letting the heap grow with the bytes that passed:
    // 17 MiB for a 5 MiB line, 24 for 20, 25-40 for 50.)
    const grew = peak - baseline;
    console.log(
      `50 MiB line: worker peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB, ${(grew / 2 ** 20).toFixed(1)} MiB over its ${(baseline / 2 ** 20).toFixed(1)} MiB before`,
    );
    expect(grew).toBeLessThan(bytes);
  }, 180_000);

  test("binary output is kept as text: invalid UTF-8 becomes U+FFFD, NUL and control bytes stay", async () => {
    const id = await submit(
      "printf 'a\\000b\\377\\376c\\001\\033[31m\\r\\n'; head -c 65536 /dev/urandom; printf '\\nend\\n'",
    );
    const { job, stdout } = await finished(id);
    expect(job).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(stdout.startsWith("a\u0000b\uFFFD\uFFFDc\u0001\u001b[31m\r\n")).toBe(true);
    expect(stdout.endsWith("\nend\n")).toBe(true);
    // Whatever the random bytes were, each is there as one character or a replacement.
    expect(stdout.length).toBeGreaterThan(20_000);
  });

  test("a command that does not exist, as a plain job, fails with exit 127 and says so on stderr", async () => {
    const { job, stderr } = await finished(await submit("runbook-no-such-command --flag"));
    expect(job).toMatchObject({ status: "failed", exitCode: 127 });
    expect(stderr).toContain("runbook-no-such-command");
  });

  test("a working directory that is a file fails the run with a typed failure, saying so", async () => {
    const file = join(temp.create(), "a-file");
    writeFileSync(file, "");
    const created = await call<Template>("/templates", "POST", {
      name: "in a file",
      command: "pwd",
      workingDirectory: file,
    });
    expect(created.status).toBe(201);
    const run = await call<Job>(`/templates/${created.body.id}/runs`, "POST", {});
    const { job, stdout } = await finished(run.body.id);
    expect(job).toMatchObject({ status: "failed", exitCode: null, failure: "working-directory-missing" });
    expect(job.reason).toContain(file);
    expect(stdout).toBe("");
  });
});
