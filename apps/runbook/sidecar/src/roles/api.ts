/**
 * `api`: serves the HTTP API on 127.0.0.1 until asked to stop. It never
 * migrates: a database not at the latest version is refused. Valkey, when the
 * shell gives one, is connected in the background: the api is ready and
 * answers without it, and reports it as down meanwhile. Beside the server run
 * the loops that connect jobs to the worker: the dispatcher (SQLite →
 * Valkey's queue), the events reader (the worker's events → SQLite) and the
 * output copier (each job's output stream → SQLite); and, Valkey or not,
 * retention (pruning the oldest ended runs).
 */
import {
  connectValkey,
  createBackchannel,
  log,
  readApiEnv,
  serveApi,
  type ValkeyConnection,
} from "@convoy/sidecar-runtime";
import { announceJobChanges, createApp } from "../api/app.ts";
import { databasePath, openDatabase } from "../db/database.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { assertSchemaCurrent } from "../db/migrator.ts";
import { JobDispatcher } from "../jobs/dispatcher.ts";
import { runJobEvents } from "../jobs/events.ts";
import { JobOutputReader } from "../jobs/output.ts";
import { runOutputCopier } from "../jobs/output-copier.ts";
import { OutputStore } from "../jobs/output-store.ts";
import { readRetentionPolicy, runRetention } from "../jobs/retention.ts";
import { RetentionStore } from "../jobs/retention-store.ts";
import type { JobQueue } from "../jobs/routes.ts";
import { SecretVault } from "../jobs/secret-vault.ts";
import { JobStore } from "../jobs/store.ts";
import { reportBuild } from "../version.ts";
import { pause, type Role, untilAborted } from "./role.ts";
import { startupMark } from "./startup-marks.ts";

/** How long after the api starts retention makes its first pass. */
const RETENTION_FIRST_PASS_DELAY_MS = 10_000;

export const runApi: Role = async ({ signal }) => {
  const env = readApiEnv();
  const retention = readRetentionPolicy();
  log.redact(env.token);
  if (env.valkey !== null) log.redact(env.valkey.password);
  if (env.backchannel !== null) log.redact(env.backchannel.token);
  const db = openDatabase(databasePath(env.dataDir), { create: false });
  startupMark("database opened");
  const connections: ValkeyConnection[] = [];
  let output: JobOutputReader | null = null;
  try {
    const schemaVersion = assertSchemaCurrent(db, MIGRATIONS);
    startupMark("schema checked");
    const connect = (name: string) => {
      const connection = env.valkey && connectValkey({ ...env.valkey, name });
      if (connection) connections.push(connection);
      return connection;
    };
    const valkey = connect("api");
    const store = new JobStore(db);
    const outputs = new OutputStore(db);
    output = env.valkey && valkey && new JobOutputReader(outputs, valkey, env.valkey);
    const backchannel = env.backchannel && createBackchannel(env.backchannel);
    const announce = announceJobChanges(backchannel);
    const secrets = new SecretVault();
    const failed = (id: string) => announce([{ id, kind: "status" }]);
    const queue: JobQueue | null = valkey &&
      output && { valkey, dispatcher: new JobDispatcher(store, valkey, secrets, failed), output };
    startupMark("valkey and stores set up");
    const app = createApp({
      db,
      valkey,
      token: env.token,
      port: env.port,
      allowedOrigins: env.allowedOrigins,
      backchannel,
      queue,
      secrets,
    });
    startupMark("app created");
    const server = serveApi(app, { port: env.port });
    startupMark("listening");
    log.info("api listening", {
      port: env.port,
      schemaVersion,
      valkey: valkey === null ? "disabled" : "enabled",
    });
    reportBuild("api");
    const events = queue && connect("api-events");
    const copier = queue && connect("api-output-copier");
    // Not before the app has started: a first pass over a large history (a
    // week's runs past their age at once) would compete with the first requests.
    const pruning = pause(RETENTION_FIRST_PASS_DELAY_MS, signal).then(() =>
      runRetention(new RetentionStore(db), retention, signal, (jobs) => {
        // Windows reload the list on any change; one announcement per pass is enough.
        const last = jobs.at(-1);
        if (last !== undefined) announce([{ id: last, kind: "status" }]);
      }),
    );
    // Without Valkey nothing runs jobs: the server and retention alone run until asked to stop.
    const loops =
      queue && events && copier
        ? Promise.all([
            queue.dispatcher.run(signal),
            runJobEvents(store, events, signal, (changes) => {
              announce(changes);
              // A run that ended may free a template's slot, or have queued its retry.
              queue.dispatcher.kick();
            }),
            runOutputCopier(outputs, copier, signal),
            pruning,
          ])
        : Promise.all([untilAborted(signal), pruning]);
    startupMark("loops started");
    // A loop fails only when going on cannot help (Valkey refused the password).
    await Promise.race([untilAborted(signal), loops]);
    // Lets requests in flight finish before the database and Valkey close under them.
    await server.stop();
    await loops;
    log.info("api stopped");
  } finally {
    output?.close();
    for (const connection of connections) connection.close();
    db.close();
  }
};
