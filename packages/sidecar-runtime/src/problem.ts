/**
 * RFC 9457 problem details. Clients switch on `type`, never on `title` or
 * `detail`, so each kind of failure gets one stable URI here and nowhere else.
 */

/** Every problem a Convoy sidecar answers with, with its HTTP status and title. */
export const PROBLEM_CATALOG = {
  validation: { status: 400, title: "Request validation failed" },
  "malformed-json": { status: 400, title: "Malformed JSON body" },
  unauthorized: { status: 401, title: "Authentication required" },
  "forbidden-host": { status: 403, title: "Host not allowed" },
  "forbidden-origin": { status: 403, title: "Origin not allowed" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflicts with the resource's current state" },
  "payload-too-large": { status: 413, title: "Request body too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  internal: { status: 500, title: "Internal error" },
  "valkey-unavailable": { status: 503, title: "Valkey unavailable" },
} as const;

export type ProblemSlug = keyof typeof PROBLEM_CATALOG;
export type ProblemTypeUri = `urn:convoy:problem:${ProblemSlug}`;
export type ProblemStatus<S extends ProblemSlug = ProblemSlug> = (typeof PROBLEM_CATALOG)[S]["status"];

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Optional members of a problem; anything beyond detail/instance is an extension member. */
export interface ProblemFields {
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export function problemTypeUri<S extends ProblemSlug>(slug: S): `urn:convoy:problem:${S}` {
  return `urn:convoy:problem:${slug}`;
}

/** All problem type URIs, e.g. for an enum in an API schema. */
export const PROBLEM_TYPE_URIS = (Object.keys(PROBLEM_CATALOG) as ProblemSlug[]).map(problemTypeUri) as [
  ProblemTypeUri,
  ...ProblemTypeUri[],
];

export function createProblem<S extends ProblemSlug>(
  slug: S,
  fields: ProblemFields = {},
): Problem & { type: `urn:convoy:problem:${S}`; status: ProblemStatus<S> } {
  const { status, title } = PROBLEM_CATALOG[slug];
  return { ...fields, type: problemTypeUri(slug), title, status };
}

/**
 * A problem a handler throws for the app's one `onError` (problemOnError) to
 * answer, instead of building the response itself.
 */
export class ProblemError extends Error {
  override readonly name = "ProblemError";

  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

export function problemResponse(problem: Problem, headers?: Record<string, string>): Response {
  const response = Response.json(problem, { status: problem.status, headers });
  response.headers.set("Content-Type", PROBLEM_CONTENT_TYPE);
  return response;
}
