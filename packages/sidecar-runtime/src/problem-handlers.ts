/**
 * Hono handlers that make every failure, including the framework's own,
 * answer as problem+json instead of plain text or a bare 500.
 */
import type { ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { METHOD_NAME_ALL } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";
import type { RouterRoute } from "hono/types";
import { log } from "./log.ts";
import { createProblem, ProblemError, type ProblemSlug, problemResponse } from "./problem.ts";

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
  if (error instanceof ProblemError) return problemResponse(error.problem);
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

/** Where Allow lists a method: the usual ones in this order, any other after them. */
const ALLOW_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * Answers a request no route took: 405 method-not-allowed with an `Allow`
 * header when the path has routes for other methods (RFC 9110 §15.5.6), else
 * 404 not-found. The methods are read from the routes `app` registered (at
 * the first unrouted request after each registration), never kept by hand.
 * HEAD is allowed wherever GET is: Hono answers it with the GET route.
 * Middleware (registered for every method) is no route of a path.
 */
export function problemNoRoute(app: { readonly routes: readonly RouterRoute[] }): NotFoundHandler {
  let index: { routes: number; router: TrieRouter<string> } | null = null;
  return (c) => {
    if (index?.routes !== app.routes.length) {
      const router = new TrieRouter<string>();
      for (const route of app.routes) {
        // Every route under ALL, its method as the handler: one match finds them all.
        if (route.method !== METHOD_NAME_ALL) router.add(METHOD_NAME_ALL, route.path, route.method);
      }
      index = { routes: app.routes.length, router };
    }
    const [matches] = index.router.match(METHOD_NAME_ALL, c.req.path);
    const methods = new Set(matches.map(([method]) => method));
    if (methods.size === 0) return problemNotFound(c);
    if (methods.has("GET")) methods.add("HEAD");
    const allow = [...methods].sort(byAllowOrder).join(", ");
    return problemResponse(
      createProblem("method-not-allowed", {
        detail: `${c.req.method} is not a method of ${c.req.path}; it allows ${allow}`,
      }),
      { Allow: allow },
    );
  };
}

function byAllowOrder(a: string, b: string): number {
  const rank = (method: string) => {
    const at = ALLOW_ORDER.indexOf(method);
    return at === -1 ? ALLOW_ORDER.length : at;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

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
