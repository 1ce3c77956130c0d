import { type FormEvent, useEffect, useState } from "react";
import type { ApiClient } from "../../lib/api/client";
import { describeError } from "../../lib/errors";
import type { Platform } from "../../platform/types";
import { useJobs } from "./useJobs";

/** Queue a command and see the newest jobs. */
export function JobsPanel({ api, platform }: { api: ApiClient; platform?: Platform }) {
  const { jobs, loading, problem, submit } = useJobs(api, platform);
  const [command, setCommand] = useState("");

  // Start-up ends here: the list first shows data from the api. The shell
  // records the time once (bench/startup.sh reads it); a browser has no shell.
  const shown = !loading && problem === null;
  useEffect(() => {
    if (shown && platform) reportStartupOnce(platform);
  }, [shown, platform]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (await submit(command)) setCommand("");
  };

  return (
    <section className="jobs">
      <form className="new-job" onSubmit={onSubmit}>
        <input
          aria-label="Command"
          data-testid="command-input"
          placeholder="A command to run, e.g. make test"
          value={command}
          onChange={(event) => setCommand(event.target.value)}
        />
        <button type="submit" data-testid="submit-job" disabled={command.trim() === ""}>
          Queue
        </button>
      </form>
      {problem && (
        <p className="error" role="alert" data-testid="jobs-problem" data-problem-type={problem.type}>
          {describeError(problem)}
        </p>
      )}
      {loading ? (
        <p className="muted">Loading jobs…</p>
      ) : jobs.length === 0 ? (
        <p className="muted" data-testid="jobs-empty">
          No jobs yet. Queue a command above.
        </p>
      ) : (
        <ul className="job-list" data-testid="jobs-list">
          {jobs.map((job) => (
            <li key={job.id} data-testid="job" data-status={job.status}>
              <code className="job-command">{job.command}</code>
              <span className={`badge badge-${job.status}`}>{job.status}</span>
              <time dateTime={job.createdAt}>{new Date(job.createdAt).toLocaleString()}</time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

let startupReported = false;

function reportStartupOnce(platform: Platform) {
  if (startupReported) return;
  startupReported = true;
  // Timing only: nothing on screen depends on it.
  platform.reportStartup().catch(() => {});
}
