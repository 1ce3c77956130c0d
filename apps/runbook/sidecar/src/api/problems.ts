/**
 * Problem+json in the API contract: one shared schema component, per-route
 * error declarations, and the validation hook every route uses.
 */

import {
  createProblem,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_URIS,
  ProblemError,
  type ProblemFields,
  type ProblemSlug,
  problemResponse,
  ValkeyAuthError,
  ValkeyUnavailableError,
} from "@convoy/sidecar-runtime";
import { type OpenAPIHono, type OpenAPIHonoOptions, z } from "@hono/zod-openapi";
import type { Env } from "hono";

/**
 * Runbook's own problems, beside the runtime's: each a stable type URI
 * (`urn:runbook:problem:<slug>`) clients switch on.
 */
export const RUNBOOK_PROBLEMS = {
  "secrets-required": { status: 400, title: "Secret values are needed again" },
} as const;

export type RunbookProblemSlug = keyof typeof RUNBOOK_PROBLEMS;

const RUNBOOK_TYPE_URIS = (Object.keys(RUNBOOK_PROBLEMS) as RunbookProblemSlug[]).map(
  (slug) => `urn:runbook:problem:${slug}` as const,
);

/** A Runbook problem, thrown for the app's onError to answer. */
export function runbookProblem(slug: RunbookProblemSlug, fields: ProblemFields = {}): ProblemError {
  const { status, title } = RUNBOOK_PROBLEMS[slug];
  return new ProblemError({ ...fields, type: `urn:runbook:problem:${slug}`, title, status });
}

/** A runtime problem, thrown for the app's onError to answer. */
export function problem(slug: ProblemSlug, fields: ProblemFields = {}): ProblemError {
  return new ProblemError(createProblem(slug, fields));
}

export const ProblemSchema = z
  .object({
    type: z.enum([...PROBLEM_TYPE_URIS, ...RUNBOOK_TYPE_URIS]),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "Each failed field, on validation problems" }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details; switch on `type`" });

const PROBLEM_DESCRIPTIONS = {
  400: "The request failed validation or its JSON body was malformed",
  401: "The bearer token is missing or wrong",
  403: "The Host or Origin header is not allowed",
  404: "No such resource",
  405: "The path does not take this method; `Allow` lists those it takes",
  409: "The request conflicts with the resource's current state",
  413: "The request body is too large",
  415: "The request body is not application/json",
  500: "An unexpected server error",
  503: "A service the api depends on (Valkey) is unavailable; retry later",
} as const;

type ProblemStatusCode = keyof typeof PROBLEM_DESCRIPTIONS;

interface ProblemResponse {
  description: string;
  content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof ProblemSchema } };
}

type ProblemResponses<S extends ProblemStatusCode> = { [K in S]: ProblemResponse };

/** The error responses of a route, for its `responses` declaration. */
export function problemResponses<const S extends ProblemStatusCode>(...statuses: S[]): ProblemResponses<S> {
  const responses: Partial<Record<ProblemStatusCode, ProblemResponse>> = {};
  for (const status of statuses) {
    responses[status] = {
      description: PROBLEM_DESCRIPTIONS[status],
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
    };
  }
  return responses as ProblemResponses<S>;
}

/**
 * The answer to a method a path does not list, as a reusable response: no
 * operation can declare it, since every operation is a method the path lists.
 */
export function registerMethodNotAllowed(app: OpenAPIHono): void {
  app.openAPIRegistry.registerComponent("responses", "MethodNotAllowed", {
    description: PROBLEM_DESCRIPTIONS[405],
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } },
    headers: {
      Allow: {
        description: "The methods the path takes, e.g. `GET, HEAD, POST`",
        schema: { type: "string" },
      },
    },
  });
}

const TARGET_NAMES: Readonly<Record<string, string>> = { json: "body", query: "query", param: "path" };

/** Turns any zod validation failure into a 400 validation problem listing each field. */
export const validationHook: OpenAPIHonoOptions<Env>["defaultHook"] = (result) => {
  if (result.success) return;
  const where = TARGET_NAMES[result.target] ?? result.target;
  return problemResponse(
    createProblem("validation", {
      detail: `the request ${where} is invalid`,
      errors: result.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        message: issue.message,
      })),
    }),
  );
};

/** The detail of a valkey-unavailable problem when the api runs without Valkey. */
export const NO_VALKEY = "this api runs without Valkey";
/** The detail of a valkey-unavailable problem while Valkey cannot be reached. */
export const VALKEY_DOWN = "Valkey is not reachable right now";

/** Valkey unreachable, or refusing us: a 503 for the caller. Anything else is a bug (a 500). */
export function isValkeyDown(error: unknown): boolean {
  return error instanceof ValkeyUnavailableError || error instanceof ValkeyAuthError;
}
