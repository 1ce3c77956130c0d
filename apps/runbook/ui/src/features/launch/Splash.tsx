import { useState } from "react";
import type { CommandError, LaunchStep } from "../../lib/bindings";
import { describeError } from "../../lib/errors";
import type { Platform } from "../../platform";
import { useLaunchState } from "./useLaunchState";

const statusLabel: Record<LaunchStep["status"], string> = {
  pending: "waiting",
  starting: "starting…",
  ready: "ready",
  failed: "failed",
};

/** The start-up window: each sidecar's progress, or why it failed with Retry and Quit. */
export function Splash({ platform }: { platform: Platform }) {
  const state = useLaunchState(platform);
  const [retryError, setRetryError] = useState<CommandError | null>(null);

  const retry = async () => {
    const result = await platform.retryLaunch();
    setRetryError(result.status === "error" ? result.error : null);
  };

  return (
    <main className="splash" data-testid="splash" data-phase={state?.phase ?? "loading"}>
      <h1>Runbook</h1>
      <ol className="steps">
        {state?.steps.map((step) => (
          <li key={step.sidecar} data-status={step.status}>
            <span className="step-name">{step.sidecar}</span>
            <span className="step-status">
              {statusLabel[step.status]}
              {step.elapsedMs !== null && ` · ${step.elapsedMs} ms`}
            </span>
          </li>
        ))}
      </ol>
      {state?.failure && (
        <section className="failure" role="alert" data-testid="launch-failure">
          <h2>
            <span data-testid="failed-sidecar">{state.failure.sidecar}</span> could not start
          </h2>
          <p data-testid="failure-reason">{state.failure.reason}</p>
          {state.failure.lastLines.length > 0 && (
            <pre className="log-tail" data-testid="failure-log">
              {state.failure.lastLines.join("\n")}
            </pre>
          )}
          {retryError && <p className="error">{describeError(retryError)}</p>}
          <div className="actions">
            <button type="button" onClick={retry} data-testid="retry">
              Retry
            </button>
            <button type="button" onClick={() => platform.quit()} data-testid="quit">
              Quit
            </button>
          </div>
        </section>
      )}
    </main>
  );
}
