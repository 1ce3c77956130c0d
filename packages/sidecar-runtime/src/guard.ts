/**
 * The one gate in front of a sidecar's HTTP API. Every local process and every
 * web page the user opens can reach 127.0.0.1, so each request must prove it
 * is for us (Host), from us (Origin) and allowed (token) before any route runs.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createProblem, problemResponse } from "./problem.ts";

export interface ApiGuardOptions {
  token: string;
  port: number;
  /** Exact Origin values allowed to call the API from a browser context. */
  allowedOrigins: readonly string[];
  /** Paths served without a token (exact match). */
  publicPaths?: readonly string[];
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const CORS_PREFLIGHT_HEADERS = {
  "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
  "Access-Control-Allow-Headers": "authorization, content-type",
  "Access-Control-Max-Age": "600",
} as const;

export function apiGuard(options: ApiGuardOptions): MiddlewareHandler {
  // A DNS-rebinding page reaches us under its own host name; only our literal
  // loopback names are genuine.
  const allowedHosts = new Set([`127.0.0.1:${options.port}`, `localhost:${options.port}`]);
  const allowedOrigins = new Set(options.allowedOrigins);
  const publicPaths = new Set(options.publicPaths ?? ["/health"]);
  const expectedTokenDigest = sha256(options.token);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Checks Content-Length when present, and counts bytes of a streamed body.
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () =>
      problemResponse(
        createProblem("payload-too-large", {
          detail: `the body exceeds ${maxBodyBytes} bytes`,
        }),
      ),
  });

  const isAuthorized = (authorization: string | undefined): boolean => {
    const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "")?.[1];
    // Hashing first gives equal-length inputs, so neither the comparison
    // time nor an early length check reveals anything about the token.
    return presented !== undefined && timingSafeEqual(sha256(presented), expectedTokenDigest);
  };

  return async (c, next) => {
    const host = c.req.header("host")?.toLowerCase();
    if (host === undefined || !allowedHosts.has(host)) {
      return problemResponse(
        createProblem("forbidden-host", { detail: "the Host header does not name this server" }),
      );
    }

    const origin = c.req.header("origin");
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      return problemResponse(
        createProblem("forbidden-origin", { detail: "this Origin may not call the API" }),
      );
    }

    // Browsers send preflights without credentials, so they are answered before auth.
    if (origin !== undefined && c.req.method === "OPTIONS") {
      return new Response(null, {
        status: 204,
        headers: {
          ...CORS_PREFLIGHT_HEADERS,
          "Access-Control-Allow-Origin": origin,
          Vary: "Origin",
        },
      });
    }

    if (!publicPaths.has(c.req.path) && !isAuthorized(c.req.header("authorization"))) {
      c.res = problemResponse(createProblem("unauthorized", { detail: "a valid bearer token is required" }), {
        "WWW-Authenticate": "Bearer",
      });
    } else {
      // bodyLimit resolves to its own 413 Response, or to whatever next() resolved to.
      const outcome: unknown = await limitBody(c, next);
      if (outcome instanceof Response) c.res = outcome;
    }

    // Set on every answer, errors included, so the app can read problem bodies.
    if (origin !== undefined) c.res.headers.set("Access-Control-Allow-Origin", origin);
    c.res.headers.append("Vary", "Origin");
  };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
