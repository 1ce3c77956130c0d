import { type FormEvent, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { ApiClient } from "../../lib/api/client";
import { createApiQueries } from "../../lib/api/query";
import { describeError } from "../../lib/errors";
import type { Platform } from "../../platform/types";
import { JobDetail } from "./JobDetail";
import type { JumpTarget } from "./OutputView";
import { useJobs } from "./useJobs";
import { useSelectedJob } from "./useSelectedJob";

/** Queue a command, see the newest jobs, and follow one. */
export function JobsPanel({
  api,
  platform,
  jump,
  visible = true,
}: {
  api: ApiClient;
  platform?: Platform;
  /** Whether the panel is on screen: kept mounted while another view is shown. */
  visible?: boolean;
  /** A line to open a run at (from the history's search): its job is selected by the caller. */
  jump?: { jobId: string } & JumpTarget;
}) {
  const { jobs, loading, problem, submit, cancel, reload } = useJobs(api, platform);
  const [command, setCommand] = useState("");
  const [selectedId, setSelectedId] = useSelectedJob(platform);
  const listed = jobs.find((job) => job.id === selectedId);
  // A run older than the list's newest (opened from the history) is read on its own.
  const queries = useMemo(() => createApiQueries(api), [api]);
  const single = queries.useQuery(
    "get",
    "/jobs/{id}",
    { params: { path: { id: selectedId ?? "" } } },
    { enabled: selectedId !== null && !loading && listed === undefined },
  );
  const selected = listed ?? (single.data?.id === selectedId ? single.data : null) ?? null;
  // Only one the list holds: an older one is not loaded to be shown.
  const firstAttempt = selected?.retryOf ? jobs.find((job) => job.id === selected.retryOf) : undefined;
  const onOutputEnded = useCallback(() => void reload(), [reload]);

  // The list scrolls on its own: a job selected from elsewhere (a re-run, the
  // history, the form) is scrolled into it once its row is there. Only then:
  // a list the reader scrolled stays where they left it as jobs change.
  const listRef = useRef<HTMLUListElement>(null);
  const revealed = useRef<string | null>(null);
  useLayoutEffect(() => {
    const list = listRef.current;
    // A hidden list has no layout to scroll: it is done once the view is shown.
    if (!list || !visible || !listed || revealed.current === listed.id) return;
    const row = list.querySelector<HTMLElement>(`[data-job-id="${CSS.escape(listed.id)}"]`);
    if (!row) return;
    revealed.current = listed.id;
    revealInList(list, row);
  }, [listed, visible]);

  // Start-up ends here: the list first shows data from the api. The shell
  // records the time once (bench/startup.sh reads it); a browser has no shell.
  const shown = !loading && problem === null;
  useEffect(() => {
    if (shown && platform) reportStartupOnce(platform);
  }, [shown, platform]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const job = await submit(command);
    if (job) {
      setCommand("");
      setSelectedId(job.id);
    }
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
        <ul className="job-list" data-testid="jobs-list" ref={listRef}>
          {jobs.map((job) => (
            <li
              key={job.id}
              data-testid="job"
              data-job-id={job.id}
              data-status={job.status}
              aria-current={job.id === selectedId}
            >
              <button type="button" className="job-select" onClick={() => setSelectedId(job.id)}>
                <code className="job-command">{job.command}</code>
                {job.status === "running" && job.progress !== null && (
                  <span className="muted">{Math.round(job.progress)}%</span>
                )}
                <span className={`badge badge-${job.status}`}>{job.status}</span>
                <time dateTime={job.createdAt}>{new Date(job.createdAt).toLocaleString()}</time>
              </button>
            </li>
          ))}
        </ul>
      )}
      {selected && (
        // Keyed by job: another job is a fresh view (its output, its Cancel state), never the last one reused.
        <JobDetail
          key={selected.id}
          api={api}
          job={selected}
          cancel={cancel}
          onOutputEnded={onOutputEnded}
          onRerun={(next) => setSelectedId(next.id)}
          onOpenFirstAttempt={firstAttempt ? () => setSelectedId(firstAttempt.id) : undefined}
          jumpTo={jump?.jobId === selected.id ? { n: jump.n, token: jump.token } : undefined}
        />
      )}
    </section>
  );
}

/** Scrolls `list` the least that shows all of `row`; the page itself does not move. */
function revealInList(list: HTMLElement, row: HTMLElement) {
  const box = row.getBoundingClientRect();
  const top = box.top - list.getBoundingClientRect().top - list.clientTop + list.scrollTop;
  const bottom = top + box.height;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (bottom > list.scrollTop + list.clientHeight) list.scrollTop = bottom - list.clientHeight;
}

let startupReported = false;

function reportStartupOnce(platform: Platform) {
  if (startupReported) return;
  startupReported = true;
  // Timing only: nothing on screen depends on it.
  platform.reportStartup().catch(() => {});
}
