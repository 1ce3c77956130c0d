import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { Splash } from "../src/features/launch/Splash";
import type { CommandError, LaunchState } from "../src/lib/bindings";
import type { Platform, Result } from "../src/platform";

/** A platform whose start-up the test drives by hand. */
function scriptedPlatform(initial: LaunchState, retryResult: Result<null, CommandError>) {
  let listener: ((state: LaunchState) => void) | null = null;
  const calls: string[] = [];
  const platform: Platform = {
    kind: "browser",
    appInfo: async () => ({
      name: "Runbook",
      version: "0",
      tauriVersion: "2",
      os: "linux",
      arch: "x",
      debug: true,
    }),
    launchState: async () => initial,
    onLaunchProgress: async (next) => {
      listener = next;
      return () => {
        listener = null;
      };
    },
    retryLaunch: async () => {
      calls.push("retry");
      return retryResult;
    },
    apiEndpoint: async () => ({ status: "error", error: { type: "ApiNotReady" } }),
    quit: async () => {
      calls.push("quit");
    },
    sidecars: async () => [],
    onSidecarStatus: async () => () => {},
    sidecarLogs: async (name) => ({ status: "error", error: { type: "UnknownSidecar", name } }),
    onSidecarLog: async () => () => {},
    restartSidecar: async (name) => ({ status: "error", error: { type: "UnknownSidecar", name } }),
    reportStartup: async () => {},
    openWindow: async () => ({ status: "ok", data: null }),
    onJobsChanged: async () => () => {},
  };
  return { platform, calls, emit: (state: LaunchState) => act(() => listener?.(state)) };
}

const migrated = { sidecar: "migrate", status: "ready", elapsedMs: 41 } as const;
const starting: LaunchState = {
  phase: "starting",
  steps: [migrated, { sidecar: "api", status: "starting", elapsedMs: null }],
  failure: null,
};

afterEach(cleanup);

describe("Splash", () => {
  it("shows each step as it happens", async () => {
    const { platform, emit } = scriptedPlatform(starting, { status: "ok", data: null });
    render(<Splash platform={platform} />);
    expect(await screen.findByText("migrate")).toBeTruthy();
    expect(screen.getByText("ready · 41 ms")).toBeTruthy();
    expect(screen.getByText("starting…")).toBeTruthy();

    await emit({
      ...starting,
      steps: [migrated, { sidecar: "api", status: "ready", elapsedMs: 120 }],
    });
    expect(screen.getByText("ready · 120 ms")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("names the failed sidecar, shows its last lines, and offers Retry and Quit", async () => {
    const { platform, calls, emit } = scriptedPlatform(starting, {
      status: "error",
      error: { type: "LaunchInProgress" },
    });
    render(<Splash platform={platform} />);
    await screen.findByText("migrate");
    await emit({
      phase: "failed",
      steps: [migrated, { sidecar: "api", status: "failed", elapsedMs: null }],
      failure: {
        sidecar: "api",
        reason: "exited with exit code 3 before it was ready",
        lastLines: ["error port 4100 is already in use"],
      },
    });
    expect(screen.getByTestId("failed-sidecar").textContent).toBe("api");
    expect(screen.getByTestId("failure-log").textContent).toContain("already in use");

    await act(async () => fireEvent.click(screen.getByTestId("retry")));
    expect(calls).toEqual(["retry"]);
    // A typed error from the shell is shown in words, not as a raw object.
    expect(screen.getByText("Runbook is already starting.")).toBeTruthy();

    await act(async () => fireEvent.click(screen.getByTestId("quit")));
    expect(calls).toEqual(["retry", "quit"]);
  });
});
