/**
 * Runs of templates end to end, on real processes: redis-server, the migrate,
 * api and worker roles as the shell starts them, and real job processes.
 * Values reach the job as data, never as shell syntax; a vanished working
 * directory and a missing command fail clearly; a secret value is in no
 * file, no Valkey key, no log line and no answer of the api.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectValkey, LineLogger, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import { freePort } from "@convoy/testing";
import type { Job, JobOutput } from "../src/jobs/schemas.ts";
import type { Template } from "../src/templates/schemas.ts";
import { API_START_TIMEOUT_MS } from "./api-process.ts";
import { type Sidecar, Sidecars } from "./sidecar-process.ts";
import { TempDirs } from "./temp-dirs.ts";

const temp = new TempDirs();
const sidecars = new Sidecars();
const token = "e".repeat(64);
let server: RedisServer;
let valkey: ValkeyConnection;
let dataDir: string;
let home: string;
let base: string;
let api: Sidecar;
let worker: Sidecar;
/** Every body the api answered, for the secret search. */
const answers: string[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  valkey = connectValkey({
    socket: server.socket,
    password: server.password,
    name: "test",
    logger: new LineLogger(() => {}),
  });
  await valkey.untilUp();
  dataDir = temp.create();
  home = temp.create("runbook-home-");
  // What `rm -rf ~` would take, were a value ever run as a command.
  writeFileSync(join(home, "canary"), "still here");
  const valkeyEnv = { CONVOY_VALKEY_SOCKET: server.socket, CONVOY_VALKEY_PASSWORD: server.password };
  const migrated = await sidecars.run(["migrate"], { CONVOY_DATA_DIR: dataDir });
  expect(migrated.exitCode).toBe(0);
  const port = await freePort();
  api = sidecars.start(["api"], {
    CONVOY_DATA_DIR: dataDir,
    CONVOY_API_PORT: String(port),
    CONVOY_API_TOKEN: token,
    ...valkeyEnv,
  });
  await api.stdout.waitFor(/^convoy:ready port=\d+\n/m, API_START_TIMEOUT_MS);
  base = `http://127.0.0.1:${port}`;
  worker = sidecars.start(["worker"], { CONVOY_DATA_DIR: temp.create(), HOME: home, ...valkeyEnv });
  await worker.stdout.waitFor(/^convoy:ready worker\n/m, API_START_TIMEOUT_MS);
}, API_START_TIMEOUT_MS * 2);

afterAll(async () => {
  await sidecars.killAll();
  valkey.close();
  await server.dispose();
  temp.removeAll();
});

async function call<T>(path: string, method = "GET", body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: JSON.parse(text) as T };
}

async function createTemplate(definition: unknown): Promise<Template> {
  const { status, body } = await call<Template>("/templates", "POST", definition);
  expect(status).toBe(201);
  return body;
}

async function run(template: Template, parameters: Record<string, unknown>): Promise<Job> {
  const { status, body } = await call<Job>(`/templates/${template.id}/runs`, "POST", { parameters });
  expect({ status, body }).toMatchObject({ status: 201 });
  return body;
}

const ENDED = new Set(["succeeded", "failed", "cancelled", "interrupted"]);

/** Polls until the job has ended; then its whole output, through the api. */
async function finished(
  id: string,
  timeoutMs = 15_000,
): Promise<{ job: Job; stdout: string; stderr: string }> {
  const deadline = performance.now() + timeoutMs;
  let job: Job;
  for (;;) {
    job = (await call<Job>(`/jobs/${id}`)).body;
    if (ENDED.has(job.status)) break;
    if (performance.now() > deadline) throw new Error(`job ${id} did not end: ${JSON.stringify(job)}`);
    await Bun.sleep(50);
  }
  let stdout = "";
  let stderr = "";
  let after = "0";
  for (;;) {
    const { body } = await call<JobOutput>(`/jobs/${id}/output?after=${after}&wait=2000`);
    for (const chunk of body.chunks) {
      if (chunk.stream === "stdout") stdout += chunk.text;
      else stderr += chunk.text;
    }
    after = body.cursor;
    if (body.end) return { job, stdout, stderr };
  }
}

describe("parameter values are data, never shell syntax", () => {
  const values = [
    "; rm -rf ~",
    "$(id)",
    "`id`",
    "it's 'single'",
    'say "double"',
    "line one\nline two\n",
    "$HOME $\u007BHOME} \\ * ? [a] ~ & | < > ( ) { } ! #",
    "\"; rm -rf ~; echo '",
    "  leading and trailing spaces  ",
    "ünïcødé ✓",
  ];
  test("each arrives verbatim: printf '%s' echoes it byte for byte", async () => {
    const template = await createTemplate({
      name: "echo a value",
      command: "printf '%s' {{value}}",
      parameters: [{ name: "value", type: "string" }],
    });
    const jobs = await Promise.all(values.map((value) => run(template, { value })));
    for (const [index, job] of jobs.entries()) {
      expect(job.parameters).toEqual({ value: values[index] ?? "" });
      const { job: ended, stdout, stderr } = await finished(job.id);
      expect({ status: ended.status, exitCode: ended.exitCode, stdout, stderr }).toEqual({
        status: "succeeded",
        exitCode: 0,
        stdout: values[index] ?? "",
        stderr: "",
      });
    }
    expect(readFileSync(join(home, "canary"), "utf8")).toBe("still here");
  }, 60_000);

  test("a template's environment and working directory reach the job", async () => {
    const dir = temp.create("runbook-cwd-");
    const template = await createTemplate({
      name: "where",
      command: 'printf "%s|%s|%s" "$(pwd)" "$GREETING" {{n}}',
      parameters: [{ name: "n", type: "number", default: 7 }],
      workingDirectory: dir,
      env: { GREETING: "hello $(id)" },
    });
    const { job, stdout } = await finished((await run(template, {})).id);
    expect(job.status).toBe("succeeded");
    expect(stdout).toBe(`${dir}|hello $(id)|7`);
  });
});

describe("runs that cannot run", () => {
  test("a working directory that has vanished fails the run, saying so", async () => {
    const dir = join(temp.create(), "gone");
    mkdirSync(dir);
    const template = await createTemplate({ name: "in a dir", command: "pwd", workingDirectory: dir });
    rmSync(dir, { recursive: true });
    const { job, stdout } = await finished((await run(template, {})).id);
    expect(job).toMatchObject({ status: "failed", exitCode: null, failure: "working-directory-missing" });
    expect(job.reason).toBe(`could not start the command: the working directory ${dir} does not exist`);
    expect(stdout).toBe("");
  });

  test("a command that does not exist ends with exit 127 and its stderr kept", async () => {
    const template = await createTemplate({
      name: "missing",
      command: "runbook-no-such-command {{a}}",
      parameters: [{ name: "a", type: "string", default: "x" }],
    });
    const { job, stderr } = await finished((await run(template, {})).id);
    expect(job).toMatchObject({ status: "failed", exitCode: 127, failure: null });
    expect(stderr).toContain("runbook-no-such-command");
    expect(stderr).toContain("not found");
  });

  test("a run past its timeout is stopped and fails, saying so", async () => {
    const template = await createTemplate({ name: "slow", command: "sleep 30", timeoutSeconds: 1 });
    const started = performance.now();
    const { job } = await finished((await run(template, {})).id);
    expect(job).toMatchObject({ status: "failed", reason: "timed out after 1 s", failure: "timed-out" });
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe("secrets stay secret", () => {
  const CANARY = `canary-${crypto.randomUUID()}`;

  test("a secret the job prints is masked, and is nowhere: files, Valkey, logs, answers", async () => {
    const template = await createTemplate({
      name: "prints its secret",
      // Whole, then cut across two writes with a pause between (two output chunks), then on stderr.
      command:
        "printf 'token=%s\\n' {{token}}; printf '%s' {{token}} | head -c 10; sleep 0.3; " +
        "printf '%s\\n' {{token}} | tail -c +11; printf '%s' {{token}} >&2; printf '\\n%s\\n' {{user}}; printf '%s' {{token}} | wc -c",
      parameters: [
        { name: "token", type: "secret" },
        { name: "user", type: "string" },
      ],
    });
    const job = await run(template, { token: CANARY, user: "alice" });
    expect(job.parameters).toEqual({ user: "alice" });
    expect(job.secretParameters).toEqual(["token"]);
    const { job: ended, stdout, stderr } = await finished(job.id);
    expect(ended.status).toBe("succeeded");
    // The job had the value itself: its length is the canary's.
    expect(stdout).toBe(`token=••••••\n••••••\n\nalice\n${CANARY.length}\n`);
    expect(stderr).toBe("••••••");

    const rerun = await call<{ type: string; errors: unknown }>(`/jobs/${job.id}/rerun`, "POST", {});
    expect(rerun.body).toMatchObject({
      type: "urn:runbook:problem:secrets-required",
      errors: [{ path: "secrets.token", message: "is needed again" }],
    });
    const again = await call<Job>(`/jobs/${job.id}/rerun`, "POST", { secrets: { token: CANARY } });
    expect(again.status).toBe(201);
    expect((await finished(again.body.id)).stdout).toBe(`token=••••••\n••••••\n\nalice\n${CANARY.length}\n`);
    await call("/jobs?limit=200");

    // Every place the secret could have landed.
    const places: Record<string, string> = {};
    for (const file of filesUnder(dataDir)) places[file] = readFileSync(file, "latin1");
    places["valkey keys"] = await dumpValkey(valkey);
    await valkey.command(["CONFIG", "SET", "rdbcompression", "no"]);
    await valkey.command(["SAVE"]);
    for (const file of filesUnder(server.dir))
      if (statSync(file).isFile()) places[file] = readFileSync(file, "latin1");
    places["api log"] = api.stdout.text + api.stderr.text;
    places["worker log"] = worker.stdout.text + worker.stderr.text;
    places["api answers"] = answers.join("\n");
    expect(Object.keys(places).some((place) => place.endsWith(".db-wal") || place.endsWith(".db"))).toBe(
      true,
    );
    // The search reads what was stored: the non-secret value is in each kind of place.
    expect(places["valkey keys"]).toContain("alice");
    expect(places["api answers"]).toContain("alice");
    const database = Object.entries(places).filter(([place]) => place.startsWith(dataDir));
    expect(database.some(([, text]) => text.includes("RUNBOOK_PARAM_user") && text.includes("alice"))).toBe(
      true,
    );
    const found = Object.entries(places)
      .filter(([, text]) => text.includes(CANARY) || text.includes(Buffer.from(CANARY).toString("latin1")))
      .map(([place]) => place);
    expect(found).toEqual([]);
  }, 60_000);
});

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every key in Valkey with everything it holds, as text. */
async function dumpValkey(connection: ValkeyConnection): Promise<string> {
  const keys = (await connection.command(["KEYS", "*"])) as string[];
  const parts: string[] = [];
  for (const key of keys) {
    const type = await connection.command(["TYPE", key]);
    const value =
      type === "stream"
        ? await connection.command(["XRANGE", key, "-", "+"])
        : type === "hash"
          ? await connection.command(["HGETALL", key])
          : type === "string"
            ? await connection.command(["GET", key])
            : type === "list"
              ? await connection.command(["LRANGE", key, "0", "-1"])
              : type === "set"
                ? await connection.command(["SMEMBERS", key])
                : await connection.command(["ZRANGE", key, "0", "-1"]);
    parts.push(`${key} (${String(type)}): ${JSON.stringify(value)}`);
  }
  return parts.join("\n");
}

describe("retries and a template's concurrency limit", () => {
  test("a failed run is tried again after its delay, up to its count; each attempt a job", async () => {
    const marks = temp.create("runbook-attempts-");
    const template = await createTemplate({
      name: "fails twice",
      // Fails on the first two attempts, succeeds on the third.
      command: `n=$(ls ${marks} | wc -l); touch ${marks}/$n; echo attempt $n; [ "$n" -ge 2 ]`,
      retries: { count: 3, delaySeconds: 1 },
    });
    const first = await run(template, {});
    const { job } = await finished(first.id);
    expect(job).toMatchObject({ status: "failed", attempt: 1, maxAttempts: 4, retryOf: null });
    const attempts = await attemptsOf(first.id, 3);
    expect(attempts.map((attempt) => attempt.maxAttempts)).toEqual([4, 4, 4]);
    expect(attempts.map((attempt) => [attempt.attempt, attempt.status, attempt.retryOf])).toEqual([
      [1, "failed", null],
      [2, "failed", first.id],
      [3, "succeeded", first.id],
    ]);
    const [, second, third] = attempts;
    // Each not before the delay after the one before it ended.
    expect(Date.parse(second?.startedAt ?? "")).toBeGreaterThanOrEqual(
      Date.parse(job.finishedAt ?? "") + 1000,
    );
    expect(Date.parse(third?.startedAt ?? "")).toBeGreaterThanOrEqual(
      Date.parse(second?.finishedAt ?? "") + 1000,
    );
    expect((await finished(third?.id ?? "")).stdout).toBe("attempt 2\n");
  }, 30_000);

  test("a retry of a run with a secret has the secret too, masked as before", async () => {
    const template = await createTemplate({
      name: "secret retry",
      command: "printf '%s|' {{token}}; printf '%s' {{token}} | wc -c; exit 1",
      parameters: [{ name: "token", type: "secret" }],
      retries: { count: 1, delaySeconds: 0 },
    });
    const first = await run(template, { token: "retry-secret-value" });
    const [, second] = await attemptsOf(first.id, 2);
    expect(second).toMatchObject({ status: "failed", attempt: 2, secretParameters: ["token"] });
    expect((await finished(second?.id ?? "")).stdout).toBe("••••••|18\n");
  }, 30_000);

  test("runs beyond the limit wait, in order, and never overlap", async () => {
    const log = join(temp.create("runbook-limit-"), "log");
    const template = await createTemplate({
      name: "one at a time",
      command: `echo start {{n}} >> ${log}; sleep 0.3; echo end {{n}} >> ${log}`,
      parameters: [{ name: "n", type: "number" }],
      concurrency: 1,
    });
    const jobs: Job[] = [];
    for (let n = 1; n <= 4; n++) jobs.push(await run(template, { n }));
    // Another template's run does not wait behind them.
    const other = await run(await createTemplate({ name: "other", command: "true" }), {});
    for (const job of jobs) expect((await finished(job.id)).job.status).toBe("succeeded");
    const last = (await finished(jobs[3]?.id ?? "")).job;
    expect(Date.parse((await finished(other.id)).job.finishedAt ?? "")).toBeLessThan(
      Date.parse(last.startedAt ?? ""),
    );
    expect(readFileSync(log, "utf8")).toBe([1, 2, 3, 4].map((n) => `start ${n}\nend ${n}\n`).join(""));
  }, 30_000);
});

/** Polls until `count` attempts of the run exist and have ended; oldest first. */
async function attemptsOf(runId: string, count: number, timeoutMs = 20_000): Promise<Job[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { body } = await call<{ items: Job[] }>("/jobs?limit=200");
    const attempts = body.items
      .filter((job) => job.id === runId || job.retryOf === runId)
      .sort((a, b) => a.attempt - b.attempt);
    if (attempts.length >= count && attempts.every((job) => ENDED.has(job.status))) return attempts;
    if (performance.now() > deadline) throw new Error(`attempts of ${runId}: ${JSON.stringify(attempts)}`);
    await Bun.sleep(100);
  }
}

describe("the templates shipped with the app", () => {
  test("'Run a shell command in a directory' and 'Disk usage of a directory' run", async () => {
    const dir = temp.create("runbook-shipped-");
    writeFileSync(join(dir, "big"), "x".repeat(200_000));
    writeFileSync(join(dir, "small"), "x");
    const shell = { id: "00000000-0000-7000-8000-000000000001" } as Template;
    const inDir = await finished((await run(shell, { command: "pwd; echo $((1 + 2))", directory: dir })).id);
    expect({ status: inDir.job.status, stdout: inDir.stdout }).toEqual({
      status: "succeeded",
      stdout: `${dir}\n3\n`,
    });

    const usage = { id: "00000000-0000-7000-8000-000000000002" } as Template;
    const du = await finished((await run(usage, { directory: dir, count: 1 })).id);
    expect(du.job.status).toBe("succeeded");
    expect(du.stdout).toMatch(new RegExp(`^\\S+\\s+${dir}/big\\n$`));
  });
});
