/**
 * The real entry point as the shell runs it: child processes, a real SQLite
 * file, a real port, real HTTP.
 */

import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { RedisServer } from "@convoy/sidecar-runtime/testing";
import { freePort } from "@convoy/testing";
import { databasePath } from "../src/db/database.ts";
import { MIGRATIONS } from "../src/db/migrations.ts";
import { exitWithin, Sidecars } from "./sidecar-process.ts";
import { TempDirs } from "./temp-dirs.ts";

const TIMEOUT_MS = 20_000;

const temp = new TempDirs();
const sidecars = new Sidecars();

afterEach(async () => {
  await sidecars.killAll();
  temp.removeAll();
});

const startSidecar = (args: string[], env: Record<string, string>) => sidecars.start(args, env);
const runSidecar = (args: string[], env: Record<string, string>) => sidecars.run(args, env);

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
      expect(migrated).toMatchObject({ exitCode: 0, stdout: `migrated from v0 to v${MIGRATIONS.length}\n` });
      const again = await runSidecar(["migrate"], { CONVOY_DATA_DIR: dataDir });
      expect(again).toMatchObject({
        exitCode: 0,
        stdout: `migrated from v${MIGRATIONS.length} to v${MIGRATIONS.length}\n`,
      });

      const port = await freePort();
      const token = newToken();
      expect(token).toHaveLength(64);
      const api = startSidecar(["api"], apiEnv(dataDir, port, token));
      const ready = await api.stdout.waitFor(/^convoy:ready port=(\d+)\n/m);
      expect(ready[1]).toBe(String(port));

      const base = `http://127.0.0.1:${port}`;
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({
        status: "ok",
        version: "0.1.0",
        schemaVersion: MIGRATIONS.length,
        valkey: "disabled",
      });

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
      const port = await freePort();
      const api = startSidecar(["api"], { ...apiEnv(dataDir, port, newToken()), CONVOY_STDIN_WATCHDOG: "1" });
      await api.stdout.waitFor(/^convoy:ready/m);

      api.child.stdin.end();
      const outcome = await Promise.race([api.child.exited, Bun.sleep(2000).then(() => "still running")]);
      expect(outcome).toBe(0);
    },
    TIMEOUT_MS,
  );
});

describe("valkey, migrate, api, worker", () => {
  test(
    "the api reads the worker's heartbeat, and stays healthy through a Valkey outage",
    async () => {
      const valkey = await RedisServer.start();
      try {
        const dataDir = temp.create();
        const valkeyEnv = { CONVOY_VALKEY_SOCKET: valkey.socket, CONVOY_VALKEY_PASSWORD: valkey.password };
        expect((await runSidecar(["migrate"], { CONVOY_DATA_DIR: dataDir })).exitCode).toBe(0);
        const port = await freePort();
        const token = newToken();
        const api = startSidecar(["api"], { ...apiEnv(dataDir, port, token), ...valkeyEnv });
        await api.stdout.waitFor(/^convoy:ready port=/m);
        const worker = startSidecar(["worker"], { CONVOY_DATA_DIR: dataDir, ...valkeyEnv });
        await worker.stdout.waitFor(/^convoy:ready worker\n/m);

        const base = `http://127.0.0.1:${port}`;
        const auth = { headers: { Authorization: `Bearer ${token}` } };
        const health = async () =>
          ((await (await fetch(`${base}/health`)).json()) as { valkey: string }).valkey;
        const workers = await fetch(`${base}/workers`, auth);
        expect(workers.status).toBe(200);
        const body = (await workers.json()) as { heartbeat: { pid: number; at: string } | null };
        expect(body.heartbeat?.pid).toBe(worker.child.pid);
        expect(await health()).toBe("up");

        await valkey.kill("SIGKILL");
        await api.stderr.waitFor(/valkey unavailable, retrying name=api/, 2000);
        expect(await health()).toBe("down");
        const unavailable = await fetch(`${base}/workers`, auth);
        expect(unavailable.status).toBe(503);
        expect(((await unavailable.json()) as { type: string }).type).toBe(
          "urn:convoy:problem:valkey-unavailable",
        );

        await valkey.launch();
        await api.stderr.waitFor(/valkey back name=api/, 2000);
        expect(await health()).toBe("up");

        for (const sidecar of [worker, api]) {
          sidecar.child.kill("SIGTERM");
          expect(await exitWithin(sidecar.child, 2000)).toBe(0);
          await sidecar.stderr.finished;
          expect(sidecar.stderr.text).not.toContain(valkey.password);
          expect(sidecar.stderr.text).not.toContain(token);
        }
      } finally {
        await valkey.dispose();
      }
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
      const missing = await runSidecar(["api"], apiEnv(temp.create(), await freePort(), newToken()));
      expect(missing.exitCode).toBe(4);
      expect(missing.stderr).toContain("run the migrate role first");

      const dataDir = temp.create();
      const unmigrated = new Database(databasePath(dataDir), { create: true });
      unmigrated.run("CREATE TABLE unrelated (x INTEGER)");
      unmigrated.close();
      const atVersion0 = await runSidecar(["api"], apiEnv(dataDir, await freePort(), newToken()));
      expect(atVersion0.exitCode).toBe(4);
      expect(atVersion0.stderr).toBe(
        `error database schema version 0 is older than this Runbook needs (${MIGRATIONS.length}); run the migrate role first\n`,
      );
    },
    TIMEOUT_MS,
  );

  test(
    "migrate refuses a database newer than the code with exit 4",
    async () => {
      const dataDir = temp.create();
      const newer = new Database(databasePath(dataDir), { create: true });
      newer.run(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
      newer.close();
      const result = await runSidecar(["migrate"], { CONVOY_DATA_DIR: dataDir });
      expect(result.exitCode).toBe(4);
      expect(result.stderr).toBe(
        `error database schema version ${MIGRATIONS.length + 1} is newer than this Runbook (knows up to ${MIGRATIONS.length}); refusing to open it\n`,
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
        expect(result.stderr).toStartWith("usage: runbook-sidecar <api|migrate|worker>");
        expect(result.stderr.split("\n")).toHaveLength(2);
      }
    },
    TIMEOUT_MS,
  );

  test(
    "a bad environment exits 2 naming the variable, never the token",
    async () => {
      const shortToken = "too-short-but-secret";
      const result = await runSidecar(["api"], apiEnv(temp.create(), await freePort(), shortToken));
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toBe("error CONVOY_API_TOKEN must be at least 32 characters\n");

      const noDataDir = await runSidecar(["migrate"], {});
      expect(noDataDir.exitCode).toBe(2);
      expect(noDataDir.stderr).toBe("error CONVOY_DATA_DIR is required\n");
    },
    TIMEOUT_MS,
  );
});

describe("start-up profile", () => {
  test(
    "RUNBOOK_STARTUP_PROFILE=1: each phase of a role's start is logged once, in order",
    async () => {
      const dataDir = temp.create();
      const profiled = await runSidecar(["migrate"], {
        CONVOY_DATA_DIR: dataDir,
        RUNBOOK_STARTUP_PROFILE: "1",
      });
      expect(profiled.exitCode).toBe(0);
      const marks = [...profiled.stderr.matchAll(/^debug startup phase=(.+) ms=([\d.]+) cpuMs=([\d.]+)$/gm)];
      expect(marks.map((mark) => mark[1])).toEqual([
        '"entry point loaded"',
        '"role loaded"',
        '"database opened"',
        "migrated",
      ]);
      const times = marks.map((mark) => Number(mark[2]));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[0]).toBeGreaterThan(0);

      const quiet = await runSidecar(["migrate"], { CONVOY_DATA_DIR: temp.create() });
      expect(quiet).toMatchObject({ exitCode: 0, stderr: "" });
    },
    TIMEOUT_MS,
  );
});
