import type { Job } from "../../lib/api/client";

/** "37.5%", or "3 of 8 (37.5%)" when the job reported steps. */
export function progressLabel(job: Pick<Job, "progress" | "progressSteps">): string | null {
  if (job.progress === null) return null;
  // One decimal at most: 33.333… is "33.3%".
  const percent = `${Math.round(job.progress * 10) / 10}%`;
  const steps = job.progressSteps;
  return steps === null ? percent : `${steps.done} of ${steps.total} (${percent})`;
}

/** "attempt 2 of 3" for a run with retries; "attempt 2" for a retry of unknown count; null for a lone run. */
export function attemptLabel(job: Pick<Job, "attempt" | "maxAttempts">): string | null {
  if (job.maxAttempts > 1) return `attempt ${job.attempt} of ${job.maxAttempts}`;
  return job.attempt > 1 ? `attempt ${job.attempt}` : null;
}

/** What a job last reported of itself: its progress bar, and its status line under it. */
export function JobReport({ job }: { job: Pick<Job, "progress" | "progressSteps" | "statusLine"> }) {
  const label = progressLabel(job);
  if (label === null && job.statusLine === null) return null;
  return (
    <div className="job-report">
      {job.progress !== null && (
        <div className="job-progress-row">
          <progress data-testid="job-progress" max={100} value={job.progress} aria-label="Progress">
            {label}
          </progress>
          <span className="muted" data-testid="job-progress-label">
            {label}
          </span>
        </div>
      )}
      {job.statusLine !== null && (
        <p className="job-status-line" data-testid="job-status-line" aria-live="polite">
          {job.statusLine}
        </p>
      )}
    </div>
  );
}
