import { afterEach, describe, expect, it } from "vitest";
import { followLaunch } from "../src/features/launch/followLaunch";
import { mountSplash, type SplashShell } from "../src/features/launch/splash";
import type { CommandError, LaunchState } from "../src/lib/bindings";
import type { Result } from "../src/platform";

/** A shell whose start-up the test drives by hand. */
function scriptedShell(initial: LaunchState, retryResult: Result<null, CommandError> | Error) {
  let listener: ((state: LaunchState) => void) | null = null;
  let readState: (state: LaunchState) => void = () => {};
  const calls: string[] = [];
  const shell: SplashShell = {
    launchState: () => {
      calls.push("launchState");
      return new Promise((resolve) => {
        readState = resolve;
        // Answers at once unless a test holds the answer back.
        if (!holdRead) resolve(initial);
      });
    },
    onLaunchProgress: async (next) => {
      calls.push("listen");
      listener = next;
      return () => {
        calls.push("unlisten");
        listener = null;
      };
    },
    retryLaunch: async () => {
      calls.push("retry");
      if (retryResult instanceof Error) throw retryResult;
      return retryResult;
    },
    quit: async () => {
      calls.push("quit");
    },
  };
  let holdRead = false;
  return {
    shell,
    calls,
    emit: (state: LaunchState) => listener?.(state),
    holdRead: () => {
      holdRead = true;
    },
    answerRead: (state: LaunchState) => readState(state),
  };
}

/** Lets the shell's promises settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const migrated = { sidecar: "migrate", status: "ready", elapsedMs: 41 } as const;
const starting: LaunchState = {
  phase: "starting",
  steps: [migrated, { sidecar: "api", status: "starting", elapsedMs: null }],
  failure: null,
};
const failed: LaunchState = {
  phase: "failed",
  steps: [migrated, { sidecar: "api", status: "failed", elapsedMs: null }],
  failure: {
    sidecar: "api",
    reason: "exited with exit code 3 before it was ready",
    lastLines: ["error port 4100 is already in use", "bye"],
  },
};

function splashRoot() {
  const root = document.createElement("main");
  document.body.append(root);
  return root;
}
const byTestId = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const stepTexts = (root: HTMLElement) =>
  [...root.querySelectorAll("li")].map((li) => [li.dataset.status, li.textContent]);

afterEach(() => {
  document.body.replaceChildren();
});

describe("the splash page", () => {
  it("shows each step as it happens", async () => {
    const { shell, emit } = scriptedShell(starting, { status: "ok", data: null });
    const root = splashRoot();
    mountSplash(root, shell);
    expect(root.dataset.phase).toBe("loading");
    await settle();
    expect(root.dataset.phase).toBe("starting");
    expect(stepTexts(root)).toEqual([
      ["ready", "migrateready · 41 ms"],
      ["starting", "apistarting…"],
    ]);

    emit({ ...starting, steps: [migrated, { sidecar: "api", status: "ready", elapsedMs: 120 }] });
    expect(stepTexts(root)[1]).toEqual(["ready", "apiready · 120 ms"]);
    expect(root.querySelector('[role="alert"]')).toBeNull();
  });

  it("names the failed sidecar, shows its last lines, and offers Retry and Quit", async () => {
    const { shell, calls, emit } = scriptedShell(starting, {
      status: "error",
      error: { type: "LaunchInProgress" },
    });
    const root = splashRoot();
    mountSplash(root, shell);
    await settle();
    emit(failed);
    expect(root.dataset.phase).toBe("failed");
    expect(byTestId(root, "launch-failure")?.getAttribute("role")).toBe("alert");
    expect(byTestId(root, "failed-sidecar")?.textContent).toBe("api");
    expect(byTestId(root, "failure-reason")?.textContent).toBe("exited with exit code 3 before it was ready");
    expect(byTestId(root, "failure-log")?.textContent).toBe("error port 4100 is already in use\nbye");

    byTestId(root, "retry")?.click();
    await settle();
    expect(calls.filter((c) => c === "retry")).toHaveLength(1);
    // A typed error from the shell is shown in words, not as a raw object.
    expect(root.textContent).toContain("Runbook is already starting.");

    byTestId(root, "quit")?.click();
    await settle();
    expect(calls.at(-1)).toBe("quit");
  });

  it("shows a refused Retry (e.g. a denied permission) as an error, and a new start clears the failure", async () => {
    const { shell, emit } = scriptedShell(failed, new Error("retry_launch not allowed"));
    const root = splashRoot();
    mountSplash(root, shell);
    await settle();
    byTestId(root, "retry")?.click();
    await settle();
    expect(root.textContent).toContain("The app refused the request: retry_launch not allowed");

    emit(starting);
    expect(byTestId(root, "launch-failure")).toBeNull();
    expect(root.dataset.phase).toBe("starting");
  });

  it("puts sidecar output in as text, never as markup", async () => {
    const { shell } = scriptedShell(
      {
        ...failed,
        failure: { sidecar: "api", reason: "<b>bad</b>", lastLines: ["<img src=x onerror=alert(1)>"] },
      },
      { status: "ok", data: null },
    );
    const root = splashRoot();
    mountSplash(root, shell);
    await settle();
    expect(root.querySelector("img, b")).toBeNull();
    expect(byTestId(root, "failure-log")?.textContent).toBe("<img src=x onerror=alert(1)>");
  });

  it("stops listening when unmounted", async () => {
    const { shell, calls } = scriptedShell(starting, { status: "ok", data: null });
    const stop = mountSplash(splashRoot(), shell);
    await settle();
    stop();
    expect(calls).toEqual(["listen", "launchState", "unlisten"]);
  });
});

describe("following start-up", () => {
  it("subscribes before it reads, and a read answered after a newer event does not undo it", async () => {
    const { shell, calls, emit, holdRead, answerRead } = scriptedShell(starting, {
      status: "ok",
      data: null,
    });
    holdRead();
    const seen: LaunchState[] = [];
    followLaunch(shell, (state) => seen.push(state));
    await settle();
    expect(calls).toEqual(["listen", "launchState"]);
    emit(failed);
    // The read was made before the failure and answers after it: stale.
    answerRead(starting);
    await settle();
    expect(seen).toEqual([failed]);
  });

  it("reports a shell that refuses to answer", async () => {
    const errors: unknown[] = [];
    followLaunch(
      {
        onLaunchProgress: async () => () => {},
        launchState: () => Promise.reject(new Error("launch_state not allowed")),
      },
      () => {},
      (reason) => errors.push(reason),
    );
    await settle();
    expect(errors).toEqual([new Error("launch_state not allowed")]);
  });
});
