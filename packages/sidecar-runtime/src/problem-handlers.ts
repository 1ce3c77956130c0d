/**
 * Hono handlers that make every failure, including the framework's own,
 * answer as problem+json instead of plain text or a bare 500.
 */
import type { ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { log } from "./log.ts";
import { createProblem, type ProblemSlug, problemResponse } from "./problem.ts";

// Statuses Hono's own middleware raise, e.g. 415 from @hono/zod-openapi when a
// body arrives with an undeclared Content-Type.
const SLUG_BY_HTTP_STATUS: Readonly<Partial<Record<number, ProblemSlug>>> = {
  400: "validation",
  401: "unauthorized",
  404: "not-found",
  413: "payload-too-large",
  415: "unsupported-media-type",
};

export const problemOnError: ErrorHandler = (error, c) => {
  const slug = error instanceof HTTPException ? SLUG_BY_HTTP_STATUS[error.status] : undefined;
  if (error instanceof HTTPException && slug !== undefined) {
    return problemResponse(createProblem(slug, { detail: error.message || undefined }));
  }
  // The cause goes to the log (token redacted there), never to the client.
  log.error("unhandled error", {
    method: c.req.method,
    path: c.req.path,
    error: String(error),
  });
  return problemResponse(createProblem("internal", { detail: "the server could not complete the request" }));
};

export const problemNotFound: NotFoundHandler = (c) =>
  problemResponse(
    createProblem("not-found", {
      detail: `no route for ${c.req.method} ${c.req.path}`,
    }),
  );

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;
/** Methods whose requests carry content; on these a JSON label promises a JSON body. */
const CONTENT_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * Answers a JSON-typed body that does not parse with malformed-json up front,
 * so no validator or handler further down can turn it into a 500. Hono caches
 * the text, so the body is read once. An empty POST/PUT/PATCH body (Bun gives
 * no body at all for Content-Length: 0) is malformed too: "" is not JSON.
 */
export const rejectMalformedJson: MiddlewareHandler = async (c, next) => {
  const mediaType = c.req.header("content-type")?.split(";")[0]?.trim() ?? "";
  const carriesContent = c.req.raw.body !== null || CONTENT_METHODS.has(c.req.method);
  if (carriesContent && JSON_MEDIA_TYPE.test(mediaType)) {
    try {
      JSON.parse(await c.req.text());
    } catch {
      return problemResponse(
        createProblem("malformed-json", { detail: "the request body is not valid JSON" }),
      );
    }
  }
  await next();
};
