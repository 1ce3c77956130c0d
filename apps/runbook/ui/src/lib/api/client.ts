import createClient, { type Middleware } from "openapi-fetch";
import type { Endpoint } from "tauri-plugin-convoy-supervisor-api";
import type { components, paths } from "./schema";

export type Job = components["schemas"]["Job"];
export type JobPage = components["schemas"]["JobPage"];
/** An RFC 9457 problem: every api error has this shape and a stable `type`. */
export type ApiProblem = components["schemas"]["Problem"];
/** An api problem, or the one the client reports when the api could not be reached at all. */
export type Problem =
  | ApiProblem
  | { type: "urn:convoy:problem:unreachable"; title: string; status: number; detail?: string };

export type ApiClient = ReturnType<typeof createApiClient>;

/** A typed client for the api, generated from its OpenAPI document; every request carries the launch token. */
export function createApiClient(endpoint: Endpoint, fetchImpl: typeof fetch = fetch) {
  const client = createClient<paths>({ baseUrl: endpoint.baseUrl, fetch: fetchImpl });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${endpoint.token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}

/** The problem an api call failed with, or one made up for a network failure. */
export function asProblem(error: unknown, status = 0): Problem {
  if (typeof error === "object" && error !== null && "type" in error && "title" in error) {
    return error as ApiProblem;
  }
  return {
    type: "urn:convoy:problem:unreachable",
    title: "The Runbook service could not be reached",
    status,
    detail: error instanceof Error ? error.message : undefined,
  };
}
