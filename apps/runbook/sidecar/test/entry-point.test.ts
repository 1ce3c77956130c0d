/**
 * The real entry point as the shell runs it: child processes, a real SQLite
 * file, a real port, real HTTP.
 */

import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { databasePath } from "../src/db/database.ts";
import { TempDirs } from "./temp-dirs.ts";

const SIDECAR_DIR = join(import.meta.dir, "..");
const TIMEOUT_MS = 20_000;

type Child = Subprocess<"pipe", "pipe", "pipe">;

/** Everything a stream has produced so far, collected in the background. */
class StreamText {
  text = "";
  readonly finished: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    this.finished = (async () => {
      for await (const chunk of stream) this.text += decoder.decode(chunk, { stream: true });
    })();
  }

  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.text);
      if (match) return match;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got ${this.text}`);
      await Bun.sleep(20);
    }
  }
}

interface Sidecar {
  child: Child;
  stdout: StreamText;
  stderr: StreamText;
}

const temp = new TempDirs();
const children: Child[] = [];

afterEach(async () => {
  // Even after a failed assertion, no child outlives its test.
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await child.exited;
  }
  temp.removeAll();
});

function startSidecar(args: string[], env: Record<string, string>): Sidecar {
  const child = Bun.spawn([process.execPath, "src/main.ts", ...args], {
    cwd: SIDECAR_DIR,
    // Only what the shell would pass, plus what bun itself needs.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  children.push(child);
  return { child, stdout: new StreamText(child.stdout), stderr: new StreamText(child.stderr) };
}

/** Runs a sidecar to completion. */
async function runSidecar(args: string[], env: Record<string, string>) {
  const sidecar = startSidecar(args, env);
  const exitCode = await sidecar.child.exited;
  await Promise.all([sidecar.stdout.finished, sidecar.stderr.finished]);
  return { exitCode, stdout: sidecar.stdout.text, stderr: sidecar.stderr.text };
}

function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port;
  probe.stop(true);
  if (port === undefined) throw new Error("no free port");
  return port;
}

function apiEnv(dataDir: string, port: number, token: string): Record<string, string> {
  return { CONVOY_DATA_DIR: dataDir, CONVOY_API_PORT: String(port), CONVOY_API_TOKEN: token };
}

const newToken = () => randomBytes(32).toString("hex");

describe("migrate then api", () => {
  test(
    "serves real HTTP after migrating, and stops cleanly on SIGTERM",
    async () => {
      const dataDir = temp.create();
      const migrated = await runSidecar(["migrate"], { CONVOY_DATA_DIR: dataDir });
      expect(migrated).toMatchObject({ exitCode: 0, stdout: "migrated from v0 to v1\n" });
      const again = await runSidecar(["migrate"], { CONVOY_DATA_DIR: dataDir });
      expect(again).toMatchObject({ exitCode: 0, stdout: "migrated from v1 to v1\n" });

      const port = freePort();
      const token = newToken();
      expect(token).toHaveLength(64);
      const api = startSidecar(["api"], apiEnv(dataDir, port, token));
      const ready = await api.stdout.waitFor(/^convoy:ready port=(\d+)\n/m);
      expect(ready[1]).toBe(String(port));

      const base = `http://127.0.0.1:${port}`;
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok", version: "0.1.0", schemaVersion: 1 });

      const auth = { Authorization: `Bearer ${token}` };
      const created = await fetch(`${base}/jobs`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ command: "echo hello" }),
      });
      expect(created.status).toBe(201);
      const job = (await created.json()) as { id: string };

      const listed = await fetch(`${base}/jobs`, { headers: auth });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { items: { id: string }[] }).items.map((item) => item.id)).toEqual([
        job.id,
      ]);

      const anonymous = await fetch(`${base}/jobs`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("content-type")).toBe("application/problem+json");

      api.child.kill("SIGTERM");
      expect(await api.child.exited).toBe(0);
      await Promise.all([api.stdout.finished, api.stderr.finished]);
      // The ready line is all of stdout, and the token is in no log line.
      expect(api.stdout.text).toBe(`convoy:ready port=${port}\n`);
      expect(api.stderr.text).not.toContain(token);
    },
    TIMEOUT_MS,
  );

  test(
    "the api exits once the shell's end of its stdin closes",
    async () => {
      const dataDir = temp.create();
      expect((await runSidecar(["migrate"], { CONVOY_DATA_DIR: dataDir })).exitCode).toBe(0);
      const port = freePort();
      const api = startSidecar(["api"], { ...apiEnv(dataDir, port, newToken()), CONVOY_STDIN_WATCHDOG: "1" });
      await api.stdout.waitFor(/^convoy:ready/m);

      api.child.stdin.end();
      const outcome = await Promise.race([api.child.exited, Bun.sleep(2000).then(() => "still running")]);
      expect(outcome).toBe(0);
    },
    TIMEOUT_MS,
  );
});

describe("refusals", () => {
  test(
    "api on a port already in use exits 3",
    async () => {
      const dataDir = temp.create();
      expect((await runSidecar(["migrate"], { CONVOY_DATA_DIR: dataDir })).exitCode).toBe(0);
      const occupant = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("taken") });
      try {
        const port = occupant.port ?? 0;
        const result = await runSidecar(["api"], apiEnv(dataDir, port, newToken()));
        expect(result.exitCode).toBe(3);
        expect(result.stderr).toBe(`error port ${port} is already in use\n`);
        expect(result.stdout).toBe("");
      } finally {
        occupant.stop(true);
      }
    },
    TIMEOUT_MS,
  );

  test(
    "api against a database that was never migrated exits 4",
    async () => {
      const missing = await runSidecar(["api"], apiEnv(temp.create(), freePort(), newToken()));
      expect(missing.exitCode).toBe(4);
      expect(missing.stderr).toContain("run the migrate role first");

      const dataDir = temp.create();
      const unmigrated = new Database(databasePath(dataDir), { create: true });
      unmigrated.run("CREATE TABLE unrelated (x INTEGER)");
      unmigrated.close();
      const atVersion0 = await runSidecar(["api"], apiEnv(dataDir, freePort(), newToken()));
      expect(atVersion0.exitCode).toBe(4);
      expect(atVersion0.stderr).toBe(
        "error database schema version 0 is older than this Runbook needs (1); run the migrate role first\n",
      );
    },
    TIMEOUT_MS,
  );

  test(
    "migrate refuses a database newer than the code with exit 4",
    async () => {
      const dataDir = temp.create();
      const newer = new Database(databasePath(dataDir), { create: true });
      newer.run("PRAGMA user_version = 7");
      newer.close();
      const result = await runSidecar(["migrate"], { CONVOY_DATA_DIR: dataDir });
      expect(result.exitCode).toBe(4);
      expect(result.stderr).toBe(
        "error database schema version 7 is newer than this Runbook (knows up to 1); refusing to open it\n",
      );
    },
    TIMEOUT_MS,
  );

  test(
    "a missing or unknown role is a usage error, exit 2",
    async () => {
      for (const args of [[], ["wrker"]]) {
        const result = await runSidecar(args, { CONVOY_DATA_DIR: temp.create() });
        expect(result.exitCode).toBe(2);
        expect(result.stderr).toStartWith("usage: runbook-sidecar <api|migrate>");
        expect(result.stderr.split("\n")).toHaveLength(2);
      }
    },
    TIMEOUT_MS,
  );

  test(
    "a bad environment exits 2 naming the variable, never the token",
    async () => {
      const shortToken = "too-short-but-secret";
      const result = await runSidecar(["api"], apiEnv(temp.create(), freePort(), shortToken));
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toBe("error CONVOY_API_TOKEN must be at least 32 characters\n");

      const noDataDir = await runSidecar(["migrate"], {});
      expect(noDataDir.exitCode).toBe(2);
      expect(noDataDir.stderr).toBe("error CONVOY_DATA_DIR is required\n");
    },
    TIMEOUT_MS,
  );
});
