import { useState } from "react";
import type { ApiClient, Job, Problem } from "../../lib/api/client";
import { describeError } from "../../lib/errors";
import { formatDuration, useNow } from "../../lib/time";
import { RerunButton } from "../templates/Rerun";
import { attemptLabel, JobReport } from "./JobReport";
import { type JumpTarget, OutputView } from "./OutputView";

const ACTIVE: ReadonlySet<Job["status"]> = new Set(["queued", "running"]);

/** One job: its state, its progress and status line, its output as it comes, and Cancel while it can be. */
export function JobDetail({
  api,
  job,
  cancel,
  onOutputEnded,
  onRerun,
  onOpenFirstAttempt,
  jumpTo,
}: {
  api: ApiClient;
  job: Job;
  cancel: (id: string) => Promise<Problem | null>;
  /** The output has ended: the job's final state is there to be read. */
  onOutputEnded: () => void;
  /** A re-run of this job was queued. */
  onRerun?: (job: Job) => void;
  /** Opens this retry's first attempt; absent when there is none to open. */
  onOpenFirstAttempt?: () => void;
  /** Open the output at this line, marked (a search result). */
  jumpTo?: JumpTarget;
}) {
  const [cancelling, setCancelling] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  // Read once: whether the view follows the live output.
  const [live] = useState(() => ACTIVE.has(job.status));

  const onCancel = async () => {
    setCancelling(true);
    setProblem(await cancel(job.id));
    setCancelling(false);
  };

  const active = ACTIVE.has(job.status);
  const running = job.status === "running" && job.startedAt !== null;
  const now = useNow(running);
  // A running job's length counts up each second; an ended one's is fixed.
  const end = job.finishedAt ? Date.parse(job.finishedAt) : running ? now * 1000 : null;
  const attempt = attemptLabel(job);
  return (
    <section className="job-detail" data-testid="job-detail" data-job-id={job.id} data-status={job.status}>
      <header className="job-detail-head">
        <code className="job-command">{job.command}</code>
        <span className={`badge badge-${job.status}`} data-testid="job-status">
          {job.status}
        </span>
        {active && (
          <button type="button" data-testid="cancel-job" disabled={cancelling} onClick={onCancel}>
            {cancelling ? "Cancelling…" : "Cancel"}
          </button>
        )}
        {!active && <RerunButton api={api} job={job} onRerun={onRerun} />}
      </header>
      <p className="muted job-facts">
        {attempt && <span data-testid="job-attempt">{attempt}</span>}
        {job.retryOf && onOpenFirstAttempt && (
          <button type="button" className="link" data-testid="job-first-attempt" onClick={onOpenFirstAttempt}>
            see the first attempt
          </button>
        )}
        {job.exitCode !== null && <span data-testid="job-exit-code">exit code {job.exitCode}</span>}
        {job.reason && <span data-testid="job-reason">{job.reason}</span>}
        {job.startedAt && <span>started {new Date(job.startedAt).toLocaleTimeString()}</span>}
        {job.finishedAt && <span>ended {new Date(job.finishedAt).toLocaleTimeString()}</span>}
        {job.startedAt && end !== null && (
          <span data-testid="job-duration">
            {job.finishedAt ? "took" : "running for"} {formatDuration(end - Date.parse(job.startedAt))}
          </span>
        )}
      </p>
      <JobReport job={job} />
      {problem && (
        <p className="error" role="alert" data-testid="job-problem" data-problem-type={problem.type}>
          {describeError(problem)}
        </p>
      )}
      <OutputView api={api} jobId={job.id} live={live} jumpTo={jumpTo} onEnded={onOutputEnded} />
    </section>
  );
}
