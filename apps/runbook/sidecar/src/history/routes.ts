/**
 * The history feature's routes, one sub-app: a run's output as numbered
 * lines, full-text search over every run, and search inside one run.
 * Handlers throw typed problems to the app's one onError.
 */
import { SQLiteError } from "bun:sqlite";
import { createProblem, ProblemError } from "@convoy/sidecar-runtime";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { problem, problemResponses, validationHook } from "../api/problems.ts";
import { JobIdParamsSchema } from "../jobs/schemas.ts";
import { parseQuery, type SearchTerms } from "./query.ts";
import {
  JobLinesQuerySchema,
  JobLinesSchema,
  JobSearchQuerySchema,
  JobSearchSchema,
  SearchPageSchema,
  SearchQuerySchema,
} from "./schemas.ts";
import type { HistoryStore } from "./store.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const linesRoute = createRoute({
  method: "get",
  path: "/jobs/{id}/lines",
  operationId: "getJobLines",
  request: { params: JobIdParamsSchema, query: JobLinesQuerySchema },
  responses: {
    200: {
      description:
        "Up to `count` of the run's stored lines from line `from`, in order. Lines are stored as the " +
        "api copies output (about every second): follow a running job live with GET /jobs/{id}/output",
      content: json(JobLinesSchema),
    },
    ...problemResponses(400, 401, 403, 404, 500),
  },
});

const searchRoute = createRoute({
  method: "get",
  path: "/search",
  operationId: "searchOutput",
  request: { query: SearchQuerySchema },
  responses: {
    200: {
      description:
        "Runs with a stored line holding every term of `q`, newest first, each with its first matching " +
        "lines; with filters, only the runs every filter given lets through",
      content: json(SearchPageSchema),
    },
    ...problemResponses(400, 401, 403, 500),
  },
});

const jobSearchRoute = createRoute({
  method: "get",
  path: "/jobs/{id}/search",
  operationId: "searchJobOutput",
  request: { params: JobIdParamsSchema, query: JobSearchQuerySchema },
  responses: {
    200: {
      description: "The run's next (or previous) stored line holding every term of `q`, and how many do",
      content: json(JobSearchSchema),
    },
    ...problemResponses(400, 401, 403, 404, 500),
  },
});

export function historyRoutes(history: HistoryStore): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(linesRoute, (c) => {
    const { id } = c.req.valid("param");
    const { from, count } = c.req.valid("query");
    const lines = history.lines(id, from, count);
    if (lines === null) throw problem("not-found", { detail: `no job with id ${id}` });
    return c.json(lines, 200);
  });

  app.openapi(searchRoute, (c) => {
    const { q, limit, cursor, ...filters } = c.req.valid("query");
    const terms = searchTerms(q);
    const found = fts(() => history.search(terms, filters, searchCursor(cursor), limit));
    return c.json(
      { items: found.hits, nextCursor: found.next === null ? null : encodeSearchCursor(found.next) },
      200,
    );
  });

  app.openapi(jobSearchRoute, (c) => {
    const { id } = c.req.valid("param");
    const { q, from, direction } = c.req.valid("query");
    const terms = searchTerms(q);
    const found = fts(() => history.searchJob(id, terms, from, direction));
    if (found === null) throw problem("not-found", { detail: `no job with id ${id}` });
    return c.json(found, 200);
  });

  return app;
}

function invalidQuery(path: string, message: string): ProblemError {
  return new ProblemError(
    createProblem("validation", { detail: "the request query is invalid", errors: [{ path, message }] }),
  );
}

function searchTerms(q: string): SearchTerms {
  const terms = parseQuery(q);
  if (terms === null) throw invalidQuery("q", "has no word to search for: give at least one letter or digit");
  return terms;
}

/** The index refusing a query is the query's fault (a 400), never a 500. */
function fts<T>(search: () => T): T {
  try {
    return search();
  } catch (error) {
    if (error instanceof SQLiteError && error.message.startsWith("fts5:")) {
      throw invalidQuery("q", `the full-text index cannot search for this: ${error.message}`);
    }
    throw error;
  }
}

/** A search page's cursor: the last run's seq, opaque to clients. */
export function encodeSearchCursor(seq: number): string {
  return Buffer.from(`s${seq}`).toString("base64url");
}

function searchCursor(cursor: string | undefined): number | null {
  if (cursor === undefined || cursor === "") return null;
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const match = /^s([1-9]\d{0,14})$/.exec(text);
  if (match?.[1] === undefined) throw invalidQuery("cursor", "not a cursor this API returned");
  return Number(match[1]);
}
