import { describe, expect, it } from "vitest";
import { describeError, shellError } from "../src/lib/errors";
import { browserPlatform } from "../src/platform/browser";

describe("describeError", () => {
  it("words every shell error type", () => {
    expect(describeError({ type: "NotReady", name: "api" })).toMatch(/Runbook service is still starting/);
    expect(describeError({ type: "NotReady", name: "valkey" })).toMatch(/valkey.*still starting/);
    expect(describeError({ type: "NotExposed", name: "valkey" })).toMatch(/valkey.*not open/);
    expect(describeError({ type: "UnknownSidecar", name: "db" })).toContain("db");
    expect(describeError({ type: "NotRestartable", name: "migrate" })).toMatch(/migrate.*once/);
    expect(describeError({ type: "InvalidJobId", reason: "it is empty" })).toBe(
      "That is not a job id: it is empty.",
    );
    expect(describeError({ type: "InvalidArgument", field: "limit", reason: "must be 1 to 1000" })).toBe(
      "Invalid limit: must be 1 to 1000.",
    );
  });

  it("words an api problem by its title and detail", () => {
    const problem = {
      type: "urn:convoy:problem:validation" as const,
      title: "Invalid request",
      status: 400,
      detail: "command is empty",
    };
    expect(describeError(problem)).toBe("Invalid request: command is empty");
  });

  it("turns Tauri's string rejections into a typed error", () => {
    expect(shellError("invalid args `limit` for command `plugin:convoy-supervisor|logs`")).toEqual({
      type: "IpcRejected",
      message: "invalid args `limit` for command `plugin:convoy-supervisor|logs`",
    });
    expect(shellError({ type: "NotReady", name: "api" })).toEqual({ type: "NotReady", name: "api" });
  });
});

describe("browserPlatform", () => {
  it("takes the api endpoint from the address", async () => {
    const platform = browserPlatform("#api=http://127.0.0.1:4100&token=abc");
    expect(await platform.apiEndpoint()).toEqual({
      status: "ok",
      data: { baseUrl: "http://127.0.0.1:4100", token: "abc" },
    });
  });

  it("says the api is not ready when the address has no endpoint", async () => {
    expect(await browserPlatform("").apiEndpoint()).toEqual({
      status: "error",
      error: { type: "NotReady", name: "api" },
    });
  });
});
