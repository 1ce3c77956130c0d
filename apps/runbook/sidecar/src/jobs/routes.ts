/**
 * The jobs routes: thin adapters between HTTP and the JobStore.
 */
import { createProblem } from "@convoy/sidecar-runtime";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { PROBLEM_HEADERS, problemResponses } from "../api/problems.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import {
  CreateJobSchema,
  JobIdParamsSchema,
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

/** Called after a change to the jobs the UI shows, with the job that changed. */
export type JobsChanged = (id: string) => void;

export function registerJobRoutes(app: OpenAPIHono, jobs: JobStore, changed: JobsChanged = () => {}): void {
  app.openapi(listJobsRoute, (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? null : decodeCursor(cursor);
    if (after === null && cursor !== undefined) {
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
}
