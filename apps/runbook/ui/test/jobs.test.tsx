import { QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { useJobs } from "../src/features/jobs/useJobs";
import { createApiClient, type Job } from "../src/lib/api/client";
import { createQueryClient } from "../src/lib/api/query";
import type { Platform } from "../src/platform";
import { browserPlatform } from "../src/platform/browser";
import type { JobProgress } from "../src/platform/types";

function job(id: string, fields: Partial<Job> = {}): Job {
  return {
    id,
    status: "queued",
    progress: null,
    command: `echo ${id}`,
    createdAt: "2026-12-01T00:00:00.000Z",
    ...fields,
  } as Job;
}

/** An api answering from `jobs` (newest first), counting list reads; `down` makes every request fail. */
function fakeApi(initial: Job[]) {
  const state = { jobs: initial, reads: 0, down: false };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": status < 400 ? "application/json" : "application/problem+json" },
    });
  const fetchImpl = async (input: Request | string | URL) => {
    if (state.down) throw new TypeError("Failed to fetch");
    const request = input instanceof Request ? input : new Request(input);
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/jobs") {
      state.reads += 1;
      return json(200, { items: state.jobs, nextCursor: null });
    }
    if (request.method === "POST" && url.pathname === "/jobs") {
      const { command } = await request.json();
      if (command === "refuse me")
        return json(400, { type: "urn:convoy:problem:validation", title: "Invalid", status: 400 });
      const created = job(`job-${state.jobs.length + 1}`, { command });
      state.jobs = [created, ...state.jobs];
      return json(201, created);
    }
    return json(404, { type: "urn:convoy:problem:not-found", title: "Not found", status: 404 });
  };
  const api = createApiClient({ baseUrl: "http://127.0.0.1:1", token: "t" }, fetchImpl as typeof fetch);
  return { api, state };
}

/** A shell whose job events the test sends by hand. */
function fakeShell() {
  const changed = new Set<() => void>();
  const progress = new Set<(event: JobProgress) => void>();
  const platform: Platform = {
    ...browserPlatform(""),
    kind: "tauri",
    onJobsChanged: async (listener) => {
      changed.add(listener as () => void);
      return () => changed.delete(listener as () => void);
    },
    onJobProgress: async (listener) => {
      progress.add(listener);
      return () => progress.delete(listener);
    },
  };
  return {
    platform,
    jobsChanged: () =>
      act(() => {
        for (const listener of changed) listener();
      }),
    progressed: (event: JobProgress) =>
      act(() => {
        for (const listener of progress) listener(event);
      }),
    listening: () => changed.size + progress.size,
  };
}

function renderJobs(api: ReturnType<typeof fakeApi>["api"], platform: Platform) {
  const client = createQueryClient();
  client.setDefaultOptions({ queries: { retry: false } });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
  return renderHook(() => useJobs(api, platform), { wrapper });
}

afterEach(cleanup);

describe("useJobs (the query cache)", () => {
  it("loads the newest jobs, and reads them again when the shell says they changed", async () => {
    const { api, state } = fakeApi([job("a")]);
    const shell = fakeShell();
    const { result } = renderJobs(api, shell.platform);
    expect(result.current.loading).toBe(true);
    await waitFor(() => expect(result.current.jobs.map((j) => j.id)).toEqual(["a"]));
    await waitFor(() => expect(shell.listening()).toBe(2));
    state.jobs = [job("b"), job("a", { status: "succeeded" })];
    await shell.jobsChanged();
    await waitFor(() => expect(result.current.jobs.map((j) => j.id)).toEqual(["b", "a"]));
    expect(result.current.jobs[1]?.status).toBe("succeeded");
    expect(state.reads).toBe(2);
  });

  it("patches a job's progress and status line in the cache without reading the list again", async () => {
    const { api, state } = fakeApi([job("a", { status: "running" }), job("b")]);
    const shell = fakeShell();
    const { result } = renderJobs(api, shell.platform);
    await waitFor(() => expect(result.current.jobs).toHaveLength(2));
    await waitFor(() => expect(shell.listening()).toBe(2));
    await shell.progressed({ id: "a", progress: 40, progressSteps: null, statusLine: null });
    await waitFor(() => expect(result.current.jobs.map((j) => j.progress)).toEqual([40, null]));
    await shell.progressed({
      id: "a",
      progress: 50,
      progressSteps: { done: 2, total: 4 },
      statusLine: "Copying files",
    });
    await waitFor(() =>
      expect(result.current.jobs[0]).toMatchObject({
        progress: 50,
        progressSteps: { done: 2, total: 4 },
        statusLine: "Copying files",
      }),
    );
    expect(result.current.jobs[1]).toMatchObject({ id: "b", progress: null });
    expect(state.reads).toBe(1);
  });

  it("puts a queued job first; a refused one is a typed problem until the next load", async () => {
    const { api } = fakeApi([job("a")]);
    const shell = fakeShell();
    const { result } = renderJobs(api, shell.platform);
    await waitFor(() => expect(result.current.loading).toBe(false));
    let created: Job | null = null;
    await act(async () => {
      created = await result.current.submit("make test");
    });
    expect(created).not.toBeNull();
    expect(result.current.jobs.map((j) => j.command)).toEqual(["make test", "echo a"]);
    await act(async () => {
      expect(await result.current.submit("refuse me")).toBeNull();
    });
    expect(result.current.problem?.type).toBe("urn:convoy:problem:validation");
    await act(() => result.current.reload());
    await waitFor(() => expect(result.current.problem).toBeNull());
  });

  it("an api that cannot be reached is the 'unreachable' problem, not a throw", async () => {
    const { api, state } = fakeApi([]);
    state.down = true;
    const shell = fakeShell();
    const { result } = renderJobs(api, shell.platform);
    await waitFor(() => expect(result.current.problem?.type).toBe("urn:convoy:problem:unreachable"));
    expect(result.current.jobs).toEqual([]);
    expect(await result.current.cancel("a")).toMatchObject({ type: "urn:convoy:problem:unreachable" });
  });
});
