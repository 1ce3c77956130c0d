/**
 * The jobs routes: thin adapters between HTTP and the JobStore.
 */
import { createProblem, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { isValkeyDown, NO_VALKEY, PROBLEM_HEADERS, problemResponses, VALKEY_DOWN } from "../api/problems.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
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
} from "./schemas.ts";
import type { JobStore } from "./store.ts";

const listJobsRoute = createRoute({
  method: "get",
  path: "/jobs",
  operationId: "listJobs",
  request: { query: ListJobsQuerySchema },
  responses: {
    200: {
      description: "A page of jobs, newest first",
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
): void {
  app.openapi(listJobsRoute, (c) => {
    const { limit, cursor } = c.req.valid("query");
    const first = cursor === undefined || cursor === "";
    const after = first ? null : decodeCursor(cursor);
    if (after === null && !first) {
      const problem = createProblem("validation", {
        detail: "the request query is invalid",
        errors: [{ path: "cursor", message: "not a cursor this API returned" }],
      });
      return c.json(problem, problem.status, PROBLEM_HEADERS);
    }
    const page = jobs.page(limit, after);
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
      const problem = createProblem("not-found", { detail: `no job with id ${id}` });
      return c.json(problem, problem.status, PROBLEM_HEADERS);
    }
    return c.json(job, 200);
  });

  app.openapi(cancelJobRoute, async (c) => {
    const { id } = c.req.valid("param");
    const job = jobs.get(id);
    if (job === null) {
      const problem = createProblem("not-found", { detail: `no job with id ${id}` });
      return c.json(problem, problem.status, PROBLEM_HEADERS);
    }
    if (job.status === "cancelled") return c.json(job, 200);
    if (ENDED.has(job.status)) {
      const problem = createProblem("conflict", { detail: `the job has already ended: ${job.status}` });
      return c.json(problem, problem.status, PROBLEM_HEADERS);
    }
    // A job Valkey's queue may hold, or one running, is stopped by the worker:
    // its mark must be set before the answer promises anything.
    if (job.status === "running" || jobs.sent(id)) {
      const unavailable = await markCancelled(queue, id);
      if (unavailable !== null) {
        const problem = createProblem("valkey-unavailable", { detail: unavailable });
        return c.json(problem, problem.status, PROBLEM_HEADERS);
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
      const problem = createProblem("not-found", { detail: `no job with id ${id}` });
      return c.json(problem, problem.status, PROBLEM_HEADERS);
    }
    if (queue === null) {
      // Without Valkey only what was copied before can be read.
      const copied = outputs.read(id, after, limit);
      if (copied !== null) return c.json(copied, 200);
      const problem = createProblem("valkey-unavailable", { detail: NO_VALKEY });
      return c.json(problem, problem.status, PROBLEM_HEADERS);
    }
    // A job that is gone (never, in practice) has nothing more to say.
    const ended = () => ENDED.has(jobs.get(id)?.status ?? "cancelled");
    try {
      const output = await queue.output.read({ id, after, wait, limit, ended }, c.req.raw.signal);
      return c.json(output, 200);
    } catch (error) {
      if (!isValkeyDown(error)) throw error;
      const problem = createProblem("valkey-unavailable", { detail: VALKEY_DOWN });
      return c.json(problem, problem.status, PROBLEM_HEADERS);
    }
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
