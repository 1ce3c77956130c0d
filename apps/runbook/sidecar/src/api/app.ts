/**
 * The Runbook HTTP API: guard first, then routes, every error as problem+json.
 */
import type { Database } from "bun:sqlite";
import {
  apiGuard,
  type Backchannel,
  log,
  problemNoRoute,
  problemOnError,
  rejectMalformedJson,
  type ValkeyConnection,
} from "@convoy/sidecar-runtime";
import { OpenAPIHono } from "@hono/zod-openapi";
import { historyRoutes } from "../history/routes.ts";
import { HistoryStore } from "../history/store.ts";
import { OutputStore } from "../jobs/output-store.ts";
import { type JobQueue, type JobsChanged, registerJobRoutes } from "../jobs/routes.ts";
import { SecretVault } from "../jobs/secret-vault.ts";
import { type JobChange, JobStore } from "../jobs/store.ts";
import { templateRoutes } from "../templates/routes.ts";
import { TemplateRuns } from "../templates/runs.ts";
import { TemplateStore } from "../templates/store.ts";
import { RUNBOOK_VERSION } from "../version.ts";
import { registerWorkerRoutes } from "../workers/routes.ts";
import { registerHealthRoute } from "./health.ts";
import { registerMethodNotAllowed, validationHook } from "./problems.ts";

export interface AppOptions {
  db: Database;
  /** Null when the shell runs the api without Valkey. */
  valkey: ValkeyConnection | null;
  token: string;
  port: number;
  allowedOrigins: readonly string[];
  /** The shell's back-channel; absent when the api runs on its own. */
  backchannel?: Backchannel | null;
  /** What runs jobs; absent when the api runs without Valkey (jobs queue up, nothing runs them). */
  queue?: JobQueue | null;
  /** Where runs' secret values wait for the dispatcher; the dispatcher's own when there is a queue. */
  secrets?: SecretVault;
}

/** Fixed values only: the document is committed, so it must not vary per launch. */
const DOCUMENT_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "Runbook API",
    version: RUNBOOK_VERSION,
    description:
      "Every error is problem+json (`Problem`); switch on its `type`. A path asked with a method " +
      "it does not list answers 405 `urn:convoy:problem:method-not-allowed` with an `Allow` header " +
      "naming the methods it does list (HEAD wherever GET); an unknown path answers 404 " +
      "`urn:convoy:problem:not-found`.",
  },
  security: [{ bearer: [] }],
} satisfies Parameters<OpenAPIHono["getOpenAPI31Document"]>[0];

export function createApp(options: AppOptions): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.onError(problemOnError);
  // Reads the routes registered below, when a request finds none.
  app.notFound(problemNoRoute(app));
  // Middleware applies only to routes registered after it, so it goes first.
  app.use(
    apiGuard({
      token: options.token,
      port: options.port,
      allowedOrigins: options.allowedOrigins,
      publicPaths: ["/health"],
    }),
  );
  app.use(rejectMalformedJson);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  registerMethodNotAllowed(app);
  registerHealthRoute(app, options.db, options.valkey);
  const jobs = new JobStore(options.db);
  const templates = new TemplateStore(options.db);
  const queue = options.queue ?? null;
  const changed = announceJobsChanged(options.backchannel ?? null);
  const runs = new TemplateRuns(jobs, templates, options.secrets ?? new SecretVault(), (id) => {
    queue?.dispatcher.kick();
    changed(id);
  });
  registerJobRoutes(app, jobs, new OutputStore(options.db), queue, changed, runs);
  registerWorkerRoutes(app, options.valkey);
  app.route("/", templateRoutes(templates, runs));
  app.route("/", historyRoutes(new HistoryStore(options.db, jobs)));
  app.doc31("/openapi.json", DOCUMENT_CONFIG);
  return app;
}

/**
 * Tells every window of the app that the jobs changed (`jobs:changed`), so
 * windows showing them stay in sync. Fire and forget: a shell that cannot be
 * told never fails the request.
 */
function announceJobsChanged(backchannel: Backchannel | null): JobsChanged {
  if (backchannel === null) return () => {};
  return (id) => {
    void backchannel.broadcast({ event: "jobs:changed", payload: { id } }).then((result) => {
      if (!result.ok) log.warn("could not tell the windows that jobs changed", { error: result.error.type });
    });
  };
}

/**
 * Tells every window what the worker changed: `jobs:changed` for a job's
 * status, `job:progress` for its progress and status line. Fire and forget, like the above.
 */
export function announceJobChanges(backchannel: Backchannel | null): (changes: JobChange[]) => void {
  if (backchannel === null) return () => {};
  const changed = announceJobsChanged(backchannel);
  return (changes) => {
    for (const change of changes) {
      if (change.kind === "status") {
        changed(change.id);
        continue;
      }
      void backchannel
        .broadcast({
          event: "job:progress",
          payload: {
            id: change.id,
            progress: change.progress,
            progressSteps: change.progressSteps,
            statusLine: change.statusLine,
          },
        })
        .then((result) => {
          if (!result.ok)
            log.warn("could not tell the windows a job's progress", { error: result.error.type });
        });
    }
  };
}

/** The OpenAPI 3.1 document of an app made by createApp. */
export function apiDocument(app: OpenAPIHono): ReturnType<OpenAPIHono["getOpenAPI31Document"]> {
  return app.getOpenAPI31Document(DOCUMENT_CONFIG);
}
