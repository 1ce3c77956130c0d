import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { useSelectedJob } from "../src/features/jobs/useSelectedJob";
import type { Selection } from "../src/lib/bindings";
import type { Platform } from "../src/platform";
import { browserPlatform } from "../src/platform/browser";

/** A shell keeping the selection: other windows change it with `elsewhere`; `answer` holds its first reply back. */
function fakeShell(initial: string | null, answer?: Promise<void>) {
  let current: Selection = { jobId: initial };
  const listeners = new Set<(selection: Selection) => void>();
  const sent: (string | null)[] = [];
  const announce = (jobId: string | null) => {
    current = { jobId };
    for (const listener of listeners) listener(current);
  };
  const platform: Platform = {
    ...browserPlatform(""),
    kind: "tauri",
    selection: async () => {
      const reply = current;
      await answer;
      return reply;
    },
    selectJob: async (jobId) => {
      sent.push(jobId);
      announce(jobId);
      return { status: "ok", data: current };
    },
    onSelectionChanged: async (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { platform, sent, elsewhere: announce, listeners };
}

afterEach(cleanup);

describe("the selected job", () => {
  it("starts from the shell's selection and follows every change from other windows", async () => {
    const shell = fakeShell("job-a");
    const { result } = renderHook(() => useSelectedJob(shell.platform));
    await waitFor(() => expect(result.current[0]).toBe("job-a"));
    act(() => shell.elsewhere("job-b"));
    expect(result.current[0]).toBe("job-b");
    act(() => shell.elsewhere(null));
    expect(result.current[0]).toBeNull();
  });

  it("tells the shell when the user picks a job, and shows it at once", async () => {
    const shell = fakeShell(null);
    const { result } = renderHook(() => useSelectedJob(shell.platform));
    await waitFor(() => expect(shell.listeners.size).toBe(1));
    act(() => result.current[1]("job-c"));
    expect(result.current[0]).toBe("job-c");
    expect(shell.sent).toEqual(["job-c"]);
  });

  it("keeps a pick made before the shell's first answer", async () => {
    let release = () => {};
    const shell = fakeShell("stale", new Promise<void>((resolve) => (release = resolve)));
    const { result } = renderHook(() => useSelectedJob(shell.platform));
    act(() => result.current[1]("job-d"));
    await act(async () => release());
    expect(result.current[0]).toBe("job-d");
  });

  it("stops listening when the view goes", async () => {
    const shell = fakeShell(null);
    const { unmount } = renderHook(() => useSelectedJob(shell.platform));
    await waitFor(() => expect(shell.listeners.size).toBe(1));
    unmount();
    expect(shell.listeners.size).toBe(0);
  });

  it("in a browser, the page keeps it", async () => {
    const platform = browserPlatform("");
    const { result } = renderHook(() => useSelectedJob(platform));
    act(() => result.current[1]("job-e"));
    expect(await platform.selection()).toEqual({ jobId: "job-e" });
  });
});
