/**
 * The jobs routes: thin adapters between HTTP and the JobStore.
 */
import type { ValkeyConnection } from "@convoy/sidecar-runtime";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { isValkeyDown, NO_VALKEY, problem, problemResponses, VALKEY_DOWN } from "../api/problems.ts";
import { encodeCursor, pageCursor } from "./cursor.ts";
import type { JobDispatcher } from "./dispatcher.ts";
import type { JobOutputReader } from "./output.ts";
import type { OutputStore } from "./output-store.ts";
import { JOB_MARK_TTL_SECONDS, jobCancelKey } from "./queue.ts";
import {
  CreateJobSchema,
  type Job,
  JobIdParamsSchema,
  JobOutputQuerySchema,
  JobOutputSchema,
  JobPageSchema,
  JobSchema,
  ListJobsQuerySchema,
  RerunSchema,
} from "./schemas.ts";
import type { JobStore } from "./store.ts";

/** Re-runs a job (templates/runs.ts); absent, only plain commands are re-run. */
export interface JobRerun {
  rerun(job: Job, secrets: Readonly<Record<string, string>>): Job;
}

const listJobsRoute = createRoute({
  method: "get",
  path: "/jobs",
  operationId: "listJobs",
  request: { query: ListJobsQuerySchema },
  responses: {
    200: {
      description:
        "A page of jobs, newest first; with filters, only the jobs every filter given lets through",
      content: { "application/json": { schema: JobPageSchema } },
    },
    ...problemResponses(400, 401, 403, 500),
  },
});

const createJobRoute = createRoute({
  method: "post",
  path: "/jobs",
  operationId: "createJob",
  request: { body: { required: true, content: { "application/json": { schema: CreateJobSchema } } } },
  responses: {
    201: { description: "The job, queued", content: { "application/json": { schema: JobSchema } } },
    ...problemResponses(400, 401, 403, 413, 415, 500),
  },
});

const getJobRoute = createRoute({
  method: "get",
  path: "/jobs/{id}",
  operationId: "getJob",
  request: { params: JobIdParamsSchema },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: JobSchema } } },
    ...problemResponses(400, 401, 403, 404, 500),
  },
});

const cancelJobRoute = createRoute({
  method: "post",
  path: "/jobs/{id}/cancel",
  operationId: "cancelJob",
  request: { params: JobIdParamsSchema },
  responses: {
    200: {
      description: "The job has ended cancelled: it had not started, or was cancelled before",
      content: { "application/json": { schema: JobSchema } },
    },
    202: {
      description:
        "The job is running and has been asked to stop; it ends cancelled shortly (`jobs:changed`)",
      content: { "application/json": { schema: JobSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 500, 503),
  },
});

const jobOutputRoute = createRoute({
  method: "get",
  path: "/jobs/{id}/output",
  operationId: "getJobOutput",
  request: { params: JobIdParamsSchema, query: JobOutputQuerySchema },
  responses: {
    200: {
      description: "The job's output after `after`, in order; follow `cursor` until `end`",
      content: { "application/json": { schema: JobOutputSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 500, 503),
  },
});

const rerunJobRoute = createRoute({
  method: "post",
  path: "/jobs/{id}/rerun",
  operationId: "rerunJob",
  request: {
    params: JobIdParamsSchema,
    body: { required: true, content: { "application/json": { schema: RerunSchema } } },
  },
  responses: {
    201: {
      description:
        "A new job running the same command, or the same template version with the same values. " +
        "A run with secret parameters needs their values again: without them, " +
        "`urn:runbook:problem:secrets-required` names each (`errors`)",
      content: { "application/json": { schema: JobSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 500),
  },
});

/** Called after a change to the jobs the UI shows, with the job that changed. */
export type JobsChanged = (id: string) => void;

/** What running jobs takes; null when the api runs without Valkey (jobs queue up but do not run). */
export interface JobQueue {
  valkey: ValkeyConnection;
  dispatcher: JobDispatcher;
  output: JobOutputReader;
}

const ENDED: ReadonlySet<Job["status"]> = new Set(["succeeded", "failed", "cancelled", "interrupted"]);

export function registerJobRoutes(
  app: OpenAPIHono,
  jobs: JobStore,
  outputs: OutputStore,
  queue: JobQueue | null = null,
  changed: JobsChanged = () => {},
  reruns: JobRerun | null = null,
): void {
  app.openapi(listJobsRoute, (c) => {
    const { limit, cursor, ...filters } = c.req.valid("query");
    const page = jobs.page(limit, pageCursor(cursor), filters);
    return c.json({ items: page.items, nextCursor: page.next && encodeCursor(page.next) }, 200);
  });

  app.openapi(createJobRoute, (c) => {
    const job = jobs.create(c.req.valid("json"));
    queue?.dispatcher.kick();
    changed(job.id);
    return c.json(job, 201);
  });

  app.openapi(getJobRoute, (c) => {
    const { id } = c.req.valid("param");
    const job = jobs.get(id);
    if (job === null) {
      throw problem("not-found", { detail: `no job with id ${id}` });
    }
    return c.json(job, 200);
  });

  app.openapi(cancelJobRoute, async (c) => {
    const { id } = c.req.valid("param");
    const job = jobs.get(id);
    if (job === null) {
      throw problem("not-found", { detail: `no job with id ${id}` });
    }
    if (job.status === "cancelled") return c.json(job, 200);
    if (ENDED.has(job.status)) {
      throw problem("conflict", { detail: `the job has already ended: ${job.status}` });
    }
    // A job Valkey's queue may hold, or one running, is stopped by the worker:
    // its mark must be set before the answer promises anything.
    if (job.status === "running" || jobs.sent(id)) {
      const unavailable = await markCancelled(queue, id);
      if (unavailable !== null) {
        throw problem("valkey-unavailable", { detail: unavailable });
      }
    }
    const cancelled = jobs.cancelQueued(id);
    // Null: it was running, or started meanwhile; the worker stops it.
    if (cancelled === null) return c.json(jobs.get(id) ?? job, 202);
    changed(id);
    return c.json(cancelled, 200);
  });

  app.openapi(jobOutputRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { after, wait, limit } = c.req.valid("query");
    if (jobs.get(id) === null) {
      throw problem("not-found", { detail: `no job with id ${id}` });
    }
    if (queue === null) {
      // Without Valkey only what was copied before can be read.
      const copied = outputs.read(id, after, limit);
      if (copied !== null) return c.json(copied, 200);
      throw problem("valkey-unavailable", { detail: NO_VALKEY });
    }
    // A job that is gone (never, in practice) has nothing more to say.
    const ended = () => ENDED.has(jobs.get(id)?.status ?? "cancelled");
    try {
      const output = await queue.output.read({ id, after, wait, limit, ended }, c.req.raw.signal);
      return c.json(output, 200);
    } catch (error) {
      if (!isValkeyDown(error)) throw error;
      throw problem("valkey-unavailable", { detail: VALKEY_DOWN });
    }
  });

  app.openapi(rerunJobRoute, (c) => {
    const { id } = c.req.valid("param");
    const job = jobs.get(id);
    if (job === null) throw problem("not-found", { detail: `no job with id ${id}` });
    const { secrets } = c.req.valid("json");
    if (reruns !== null) return c.json(reruns.rerun(job, secrets), 201);
    const again = jobs.create({ command: job.command, name: job.name });
    queue?.dispatcher.kick();
    changed(again.id);
    return c.json(again, 201);
  });
}

/** Sets the job's cancel mark for the worker; why it could not, or null once set. */
async function markCancelled(queue: JobQueue | null, id: string): Promise<string | null> {
  if (queue === null) return NO_VALKEY;
  try {
    await queue.valkey.command(["SET", jobCancelKey(id), "1", "EX", String(JOB_MARK_TTL_SECONDS)]);
    return null;
  } catch (error) {
    if (!isValkeyDown(error)) throw error;
    return VALKEY_DOWN;
  }
}
