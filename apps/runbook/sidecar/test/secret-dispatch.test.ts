/**
 * The dispatcher's half of secrets, against a real redis-server: a run's
 * secrets go only sealed to the running worker's key, a run waits for a
 * worker to seal them to, and a run whose secrets an earlier api held fails
 * saying so instead of running without them.
 */
import type { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { connectValkey, LineLogger, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import { waitFor } from "@convoy/testing";
import { JobDispatcher, SECRETS_LOST } from "../src/jobs/dispatcher.ts";
import { decodeQueuedJob, JOB_QUEUE, streamEntries } from "../src/jobs/queue.ts";
import { generateWorkerKey, openSecrets, WORKER_KEY } from "../src/jobs/secret-seal.ts";
import { SecretVault } from "../src/jobs/secret-vault.ts";
import { type JobRunSpec, JobStore } from "../src/jobs/store.ts";
import { migratedDatabase } from "./migrated-database.ts";
import { TempDirs } from "./temp-dirs.ts";

const temp = new TempDirs();
const SECRET = "dispatch-secret-☃";
let server: RedisServer;
let valkey: ValkeyConnection;
let db: Database;
let store: JobStore;
let stop: AbortController;
let running: Promise<void> | null;

const SPEC: JobRunSpec = {
  templateId: "t",
  templateVersion: 1,
  parameters: {},
  secretParameters: ["token"],
  workingDirectory: null,
  environment: { RUNBOOK_PARAM_user: "bob" },
  timeoutSeconds: null,
  retries: { count: 0, delaySeconds: 0 },
  concurrency: null,
};

beforeAll(async () => {
  server = await RedisServer.start();
  valkey = connectValkey({
    socket: server.socket,
    password: server.password,
    name: "test",
    logger: new LineLogger(() => {}),
  });
  await valkey.untilUp();
});

afterAll(async () => {
  valkey.close();
  await server.dispose();
});

beforeEach(async () => {
  await valkey.command(["FLUSHALL"]);
  const dir = temp.create();
  db = migratedDatabase(dir);
  store = new JobStore(db);
  stop = new AbortController();
  running = null;
});

afterEach(async () => {
  stop.abort();
  await running;
  db.close();
  temp.removeAll();
});

function dispatch(secrets: SecretVault, failed: (id: string) => void = () => {}): JobDispatcher {
  const dispatcher = new JobDispatcher(store, valkey, secrets, failed);
  running = dispatcher.run(stop.signal);
  return dispatcher;
}

async function queueEntries(): Promise<string[][]> {
  const reply = await valkey.command(["XRANGE", JOB_QUEUE, "-", "+"]);
  return (Array.isArray(reply) ? streamEntries([[JOB_QUEUE, reply]]) : []).map((entry) => entry.fields);
}

describe("sending a run with secrets", () => {
  test("waits for a worker's key, then sends them sealed to it alone", async () => {
    const secrets = new SecretVault();
    const job = store.create({ command: 'echo "$RUNBOOK_PARAM_token"', run: SPEC });
    secrets.put(job.id, { RUNBOOK_PARAM_token: SECRET });
    const dispatcher = dispatch(secrets);
    await Bun.sleep(300);
    expect(store.sent(job.id)).toBe(false);

    const worker = generateWorkerKey();
    await valkey.command(["SET", WORKER_KEY, worker.publicKey]);
    dispatcher.kick();
    await waitFor(() => store.sent(job.id), { timeout: 5000, interval: 20, message: "the job is sent" });
    const [fields] = await queueEntries();
    expect(JSON.stringify(fields)).not.toContain(SECRET);
    const queued = decodeQueuedJob(fields ?? []);
    expect(queued).toMatchObject({ id: job.id, env: { RUNBOOK_PARAM_user: "bob" } });
    expect(openSecrets(worker.privateKey, job.id, queued?.sealed ?? "")).toEqual({
      RUNBOOK_PARAM_token: SECRET,
    });
    expect(openSecrets(generateWorkerKey().privateKey, job.id, queued?.sealed ?? "")).toBeNull();
  });

  test("a run whose secrets are not in this api's memory fails, saying so", async () => {
    await valkey.command(["SET", WORKER_KEY, generateWorkerKey().publicKey]);
    const job = store.create({ command: "true", run: SPEC });
    const failed: string[] = [];
    dispatch(new SecretVault(), (id) => failed.push(id));
    await waitFor(() => store.get(job.id)?.status === "failed", {
      timeout: 5000,
      interval: 20,
      message: "the job fails",
    });
    expect(store.get(job.id)).toMatchObject({
      status: "failed",
      reason: SECRETS_LOST,
      failure: "secrets-unavailable",
      exitCode: null,
    });
    expect(failed).toEqual([job.id]);
    expect(await queueEntries()).toEqual([]);
  });

  test("the values are forgotten once the run has ended", async () => {
    await valkey.command(["SET", WORKER_KEY, generateWorkerKey().publicKey]);
    const secrets = new SecretVault();
    const job = store.create({ command: "true", run: SPEC });
    secrets.put(job.id, { RUNBOOK_PARAM_token: SECRET });
    const dispatcher = dispatch(secrets);
    await waitFor(() => store.sent(job.id), { timeout: 5000, interval: 20, message: "the job is sent" });
    expect(secrets.size).toBe(1);
    store.applyEvents(
      [
        {
          type: "finished",
          id: job.id,
          at: new Date().toISOString(),
          outcome: "succeeded",
          exitCode: 0,
          reason: null,
        },
      ],
      "1-0",
    );
    dispatcher.kick();
    await waitFor(() => secrets.size === 0, {
      timeout: 5000,
      interval: 20,
      message: "the values are dropped",
    });
  });
});
