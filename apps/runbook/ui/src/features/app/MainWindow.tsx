import { QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import type { Endpoint } from "tauri-plugin-convoy-supervisor-api";
import { type ApiClient, createApiClient, type Job } from "../../lib/api/client";
import { createQueryClient } from "../../lib/api/query";
import type { AppInfo } from "../../lib/bindings";
import { describeError, type ShellError, shellError } from "../../lib/errors";
import type { Platform } from "../../platform";
import { JobsPanel } from "../jobs/JobsPanel";
import { useSelectedJob } from "../jobs/useSelectedJob";
import { useLaunchState } from "../launch/useLaunchState";
import { SidecarsPanel } from "../sidecars/SidecarsPanel";
import { UpdateBanner } from "../updates/UpdateBanner";

// Not on the first screen: its own chunk, loaded when the tab is first opened.
const TemplatesView = lazy(() => import("../templates/TemplatesView"));
const HistoryView = lazy(() => import("../history/HistoryView"));

type View = "jobs" | "templates" | "history";
const VIEW_NAMES: Record<View, string> = { jobs: "Jobs", templates: "Templates", history: "History" };

/** The main window: loads while the sidecars start, shows data once the api is ready. */
export function MainWindow({ platform }: { platform: Platform }) {
  const launch = useLaunchState(platform);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [endpoint, setEndpoint] = useState<Endpoint | null>(null);
  const [error, setError] = useState<ShellError | null>(null);
  const [queryClient] = useState(createQueryClient);
  const [view, setView] = useState<View>("jobs");
  const [, selectJob] = useSelectedJob(platform);
  // A template run is a job: the jobs view shows it (the selection is the shell's, for every window).
  const onRan = useCallback(
    (job: Job) => {
      selectJob(job.id);
      setView("jobs");
    },
    [selectJob],
  );
  // A run opened from the history, at a line of its output.
  const [jump, setJump] = useState<{ jobId: string; n: number; token: number } | undefined>();
  const onOpen = useCallback(
    (job: Job, n?: number) => {
      selectJob(job.id);
      setJump((last) => (n === undefined ? undefined : { jobId: job.id, n, token: (last?.token ?? 0) + 1 }));
      setView("jobs");
    },
    [selectJob],
  );

  useEffect(() => {
    platform.appInfo().then(setInfo, (reason) => setError(shellError(reason)));
  }, [platform]);

  const ready = launch?.phase === "ready";
  useEffect(() => {
    if (!ready) return;
    platform.apiEndpoint().then(
      (result) => (result.status === "ok" ? setEndpoint(result.data) : setError(result.error)),
      (reason) => setError(shellError(reason)),
    );
  }, [platform, ready]);

  const api: ApiClient | null = useMemo(() => (endpoint ? createApiClient(endpoint) : null), [endpoint]);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Runbook</h1>
        {info && (
          <p className="muted" data-testid="app-info">
            {info.name} {info.version} · Tauri {info.tauriVersion} · {info.os}/{info.arch}
            {info.debug && " · debug"}
          </p>
        )}
        <button
          type="button"
          data-testid="open-settings"
          onClick={() =>
            platform.openWindow("settings").then(
              (result) => result.status === "error" && setError(result.error),
              (reason) => setError(shellError(reason)),
            )
          }
        >
          Settings
        </button>
      </header>
      <UpdateBanner platform={platform} />
      {error && (
        <p className="error" role="alert" data-testid="shell-error" data-error-type={error.type}>
          {describeError(error)}
        </p>
      )}
      {api ? (
        <QueryClientProvider client={queryClient}>
          <nav className="views" aria-label="Views">
            {(["jobs", "templates", "history"] as const).map((name) => (
              <button
                key={name}
                type="button"
                data-testid={`view-${name}`}
                aria-pressed={view === name}
                onClick={() => setView(name)}
              >
                {VIEW_NAMES[name]}
              </button>
            ))}
          </nav>
          {/* Kept mounted while hidden: its list and the output it follows stay live. */}
          <div className="jobs-view" hidden={view !== "jobs"}>
            <JobsPanel api={api} platform={platform} jump={jump} visible={view === "jobs"} />
          </div>
          {view === "templates" && (
            <Suspense fallback={<p className="muted">Loading templates…</p>}>
              <TemplatesView api={api} onRan={onRan} platform={platform} />
            </Suspense>
          )}
          {view === "history" && (
            <Suspense fallback={<p className="muted">Loading history…</p>}>
              <HistoryView api={api} onOpen={onOpen} />
            </Suspense>
          )}
        </QueryClientProvider>
      ) : (
        <p className="muted">Starting the Runbook service…</p>
      )}
      {/* Diagnostics, one click away; open while the api is not ready, since the sidecars are what is happening. */}
      <SidecarsPanel platform={platform} defaultOpen={false} attention={!api} rendering={info?.rendering} />
    </div>
  );
}
