import { describe, expect, test } from "bun:test";
import { createProblem, PROBLEM_TYPE_URIS, problemResponse, problemTypeUri } from "../src/problem.ts";

describe("problem details", () => {
  test("type URIs are stable urn:convoy:problem:<slug> values", () => {
    expect(problemTypeUri("not-found")).toBe("urn:convoy:problem:not-found");
    expect(PROBLEM_TYPE_URIS).toEqual([
      "urn:convoy:problem:validation",
      "urn:convoy:problem:malformed-json",
      "urn:convoy:problem:unauthorized",
      "urn:convoy:problem:forbidden-host",
      "urn:convoy:problem:forbidden-origin",
      "urn:convoy:problem:not-found",
      "urn:convoy:problem:method-not-allowed",
      "urn:convoy:problem:conflict",
      "urn:convoy:problem:payload-too-large",
      "urn:convoy:problem:unsupported-media-type",
      "urn:convoy:problem:internal",
      "urn:convoy:problem:valkey-unavailable",
    ]);
  });

  test("createProblem fills status and title and keeps extension members", () => {
    const problem = createProblem("validation", {
      detail: "bad",
      errors: [{ path: "name", message: "too long" }],
    });
    expect(problem).toEqual({
      type: "urn:convoy:problem:validation",
      title: "Request validation failed",
      status: 400,
      detail: "bad",
      errors: [{ path: "name", message: "too long" }],
    });
  });

  test("extension members cannot override the standard ones", () => {
    expect(createProblem("internal", { type: "x", status: 200 })).toMatchObject({
      type: "urn:convoy:problem:internal",
      status: 500,
    });
  });

  test("problemResponse answers application/problem+json with the problem's status", async () => {
    const response = problemResponse(createProblem("not-found", { detail: "no job 7" }), { "X-Extra": "1" });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("x-extra")).toBe("1");
    expect(await response.json()).toEqual({
      type: "urn:convoy:problem:not-found",
      title: "Not found",
      status: 404,
      detail: "no job 7",
    });
  });
});
