import { useCallback, useEffect, useState } from "react";
import type { AvailableUpdate, DownloadProgress, JobsPolicy, UpdateError } from "../../lib/bindings";
import type { Platform } from "../../platform";
import { describeUpdateError, type Updater, updaterFor } from "./updater";

/** Where the update flow is; the banner renders one of these. */
export type UpdateState =
  | { step: "checking" }
  | { step: "current"; version: string }
  | { step: "available"; current: string; update: AvailableUpdate }
  | { step: "downloading"; update: AvailableUpdate; progress: DownloadProgress | null }
  | { step: "ready"; update: AvailableUpdate; size: number }
  | { step: "askJobs"; update: AvailableUpdate; count: number }
  | { step: "installing"; update: AvailableUpdate; jobs: JobsPolicy }
  | { step: "failed"; error: UpdateError; update: AvailableUpdate | null };

/** Nothing to offer and nothing to say: not configured here, or not an installed copy. */
const QUIET: ReadonlySet<UpdateError["type"]> = new Set(["NotConfigured", "Unsupported"]);

function percent(progress: DownloadProgress | null): number | null {
  if (progress?.total == null || progress.total === 0) return null;
  return Math.min(100, Math.floor((progress.received / progress.total) * 100));
}

function useUpdate(updater: Updater) {
  const [state, setState] = useState<UpdateState>({ step: "checking" });

  const check = useCallback(async () => {
    setState({ step: "checking" });
    const result = await updater.check();
    if (result.status === "error") return setState({ step: "failed", error: result.error, update: null });
    const { currentVersion, available } = result.data;
    setState(
      available
        ? { step: "available", current: currentVersion, update: available }
        : { step: "current", version: currentVersion },
    );
  }, [updater]);

  const download = useCallback(
    async (update: AvailableUpdate) => {
      setState({ step: "downloading", update, progress: null });
      const result = await updater.download((progress) =>
        setState((now) => (now.step === "downloading" ? { ...now, progress } : now)),
      );
      setState(
        result.status === "ok"
          ? { step: "ready", update, size: result.data.size }
          : { step: "failed", error: result.error, update },
      );
    },
    [updater],
  );

  const install = useCallback(
    async (update: AvailableUpdate, jobs: JobsPolicy) => {
      setState({ step: "installing", update, jobs });
      const result = await updater.install(jobs);
      if (result.status === "ok") return; // the app relaunches
      const { error } = result;
      setState(
        error.type === "JobsRunning"
          ? { step: "askJobs", update, count: error.count }
          : { step: "failed", error, update },
      );
    },
    [updater],
  );

  useEffect(() => {
    void check();
  }, [check]);

  return { state, check, download, install, dismiss: () => setState({ step: "current", version: "" }) };
}

/** The update flow in the main window: check, version and notes, download with progress, install, relaunch. */
export function UpdateBanner({ platform }: { platform: Platform }) {
  const updater = updaterFor(platform);
  return updater ? <UpdateFlow updater={updater} /> : null;
}

export function UpdateFlow({ updater }: { updater: Updater }) {
  const { state, check, download, install, dismiss } = useUpdate(updater);
  if (state.step === "checking") {
    return <span hidden data-testid="update-banner" data-state="checking" />;
  }
  if (state.step === "current") {
    return (
      <p className="muted" data-testid="update-banner" data-state="current">
        {state.version && `Runbook ${state.version} is up to date. `}
        <button type="button" data-testid="update-check" onClick={() => void check()}>
          Check for updates
        </button>
      </p>
    );
  }
  if (state.step === "failed" && QUIET.has(state.error.type)) {
    return <span hidden data-testid="update-banner" data-state="quiet" data-error-type={state.error.type} />;
  }
  return (
    <section className="update-banner" data-testid="update-banner" data-state={state.step} aria-live="polite">
      {"update" in state && state.update && (
        <p>
          <strong data-testid="update-version" data-version={state.update.version}>
            Runbook {state.update.version}
          </strong>{" "}
          {state.step === "available" && <span className="muted">(you have {state.current})</span>}
        </p>
      )}
      {state.step === "available" && (
        <>
          {state.update.notes && (
            <pre className="update-notes" data-testid="update-notes">
              {state.update.notes}
            </pre>
          )}
          <button type="button" data-testid="update-download" onClick={() => void download(state.update)}>
            Download
          </button>
        </>
      )}
      {state.step === "downloading" && (
        <p>
          <progress
            data-testid="update-progress"
            max={100}
            value={percent(state.progress) ?? undefined}
            data-received={state.progress?.received ?? 0}
          />{" "}
          {percent(state.progress) === null ? "Downloading…" : `${percent(state.progress)}%`}
        </p>
      )}
      {state.step === "ready" && (
        <p>
          Downloaded and verified ({Math.round(state.size / 1024 / 1024)} MB).{" "}
          <button
            type="button"
            data-testid="update-install"
            onClick={() => void install(state.update, "ask")}
          >
            Install and relaunch
          </button>
        </p>
      )}
      {state.step === "askJobs" && (
        <div role="alertdialog" aria-label="Jobs are running" data-testid="update-jobs">
          <p>
            {state.count} job(s) are running. Installing stops every process of the app; a job that is stopped
            ends interrupted.
          </p>
          <button
            type="button"
            data-testid="update-jobs-wait"
            onClick={() => void install(state.update, "wait")}
          >
            Wait for them, then install
          </button>
          <button
            type="button"
            data-testid="update-jobs-stop"
            onClick={() => void install(state.update, "stop")}
          >
            Stop them and install
          </button>
          <button type="button" data-testid="update-jobs-later" onClick={dismiss}>
            Not now
          </button>
        </div>
      )}
      {state.step === "installing" && (
        <p data-testid="update-installing">
          {state.jobs === "wait" ? "Waiting for the running jobs, then installing…" : "Installing…"} Runbook
          relaunches when it is done.
        </p>
      )}
      {state.step === "failed" && (
        <div className="error" role="alert" data-testid="update-error" data-error-type={state.error.type}>
          <p>{describeUpdateError(state.error)}</p>
          {state.error.type === "NeedsPrivilege" && (
            <code data-testid="update-command">{state.error.command}</code>
          )}
          <button type="button" data-testid="update-check" onClick={() => void check()}>
            Check again
          </button>
        </div>
      )}
    </section>
  );
}
