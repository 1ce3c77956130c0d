import { type FormEvent, useMemo, useState } from "react";
import { type ApiClient, asProblem, type Job } from "../../lib/api/client";
import { createApiQueries } from "../../lib/api/query";
import type { components } from "../../lib/api/schema";
import { describeError } from "../../lib/errors";
import { AnsiText } from "../jobs/AnsiText";

type SearchHit = components["schemas"]["SearchHit"];

const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;
/** The time-range choices, as how far back (ms); null: any time. */
const RANGES: { label: string; ms: number | null }[] = [
  { label: "Any time", ms: null },
  { label: "Last hour", ms: 3_600_000 },
  { label: "Last 24 hours", ms: 86_400_000 },
  { label: "Last 7 days", ms: 7 * 86_400_000 },
  { label: "Last 30 days", ms: 30 * 86_400_000 },
];
const PAGE = 25;

export interface Filters {
  template?: string;
  status?: string;
  since?: string;
}

/** What the filters send: only those set. */
export function filterQuery(
  template: string,
  statuses: readonly string[],
  rangeMs: number | null,
  now: number,
): Filters {
  return {
    ...(template ? { template } : {}),
    ...(statuses.length > 0 ? { status: statuses.join(",") } : {}),
    ...(rangeMs !== null ? { since: new Date(now - rangeMs).toISOString() } : {}),
  };
}

/**
 * Every run, newest first, filtered by template, status and time, or
 * searched by what its output says; a matching line opens the run there.
 */
export default function HistoryView({
  api,
  onOpen,
}: {
  api: ApiClient;
  /** Opens a run, at line `n` when given. */
  onOpen: (job: Job, n?: number) => void;
}) {
  const queries = useMemo(() => createApiQueries(api), [api]);
  const [template, setTemplate] = useState("");
  const [statuses, setStatuses] = useState<string[]>([]);
  const [range, setRange] = useState(0);
  const [draft, setDraft] = useState("");
  const [q, setQ] = useState("");
  // The range's start is fixed when it is picked, so pages of one listing agree.
  const [pickedAt, setPickedAt] = useState(() => Date.now());
  const filters = filterQuery(template, statuses, RANGES[range]?.ms ?? null, pickedAt);
  const templates = queries.useQuery("get", "/templates", { params: { query: { limit: 100 } } });

  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    setQ(draft.trim());
  };

  return (
    <section className="history" data-testid="history">
      <form className="history-filters" onSubmit={onSearch}>
        <input
          type="search"
          aria-label="Search output"
          data-testid="history-search"
          placeholder="Search all output, e.g. error timeout"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
        <button type="submit" data-testid="history-search-submit">
          Search
        </button>
        <select
          aria-label="Template"
          data-testid="history-template"
          value={template}
          onChange={(event) => setTemplate(event.target.value)}
        >
          <option value="">Any template</option>
          {templates.data?.items.map((item) => (
            <option key={item.id} value={item.id}>
              {item.name}
            </option>
          ))}
        </select>
        <select
          aria-label="Time"
          data-testid="history-range"
          value={range}
          onChange={(event) => {
            setRange(Number(event.target.value));
            setPickedAt(Date.now());
          }}
        >
          {RANGES.map((choice, i) => (
            <option key={choice.label} value={i}>
              {choice.label}
            </option>
          ))}
        </select>
        <fieldset className="history-statuses">
          <legend className="muted">Status</legend>
          {STATUSES.map((status) => (
            <label key={status}>
              <input
                type="checkbox"
                data-testid={`history-status-${status}`}
                checked={statuses.includes(status)}
                onChange={(event) =>
                  setStatuses((now) =>
                    event.target.checked ? [...now, status] : now.filter((other) => other !== status),
                  )
                }
              />
              {status}
            </label>
          ))}
        </fieldset>
      </form>
      {q === "" ? (
        <RunList api={api} filters={filters} onOpen={onOpen} />
      ) : (
        <SearchResults api={api} q={q} filters={filters} onOpen={onOpen} />
      )}
    </section>
  );
}

function RunList({ api, filters, onOpen }: { api: ApiClient; filters: Filters; onOpen: (job: Job) => void }) {
  const queries = useMemo(() => createApiQueries(api), [api]);
  const list = queries.useInfiniteQuery(
    "get",
    "/jobs",
    { params: { query: { limit: PAGE, ...filters } } },
    {
      pageParamName: "cursor",
      initialPageParam: "",
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    },
  );
  if (list.isPending) return <p className="muted">Loading runs…</p>;
  if (list.error) return <Failure error={list.error} />;
  const jobs = list.data.pages.flatMap((page) => page.items);
  if (jobs.length === 0)
    return (
      <p className="muted" data-testid="history-empty">
        No runs match.
      </p>
    );
  return (
    <>
      <ul className="job-list" data-testid="history-runs">
        {jobs.map((job) => (
          <li key={job.id} data-testid="history-run" data-job-id={job.id} data-status={job.status}>
            <button type="button" className="job-select" onClick={() => onOpen(job)}>
              <code className="job-command">{job.name}</code>
              <span />
              <span className={`badge badge-${job.status}`}>{job.status}</span>
              <time dateTime={job.createdAt}>{new Date(job.createdAt).toLocaleString()}</time>
            </button>
          </li>
        ))}
      </ul>
      <More list={list} />
    </>
  );
}

function SearchResults({
  api,
  q,
  filters,
  onOpen,
}: {
  api: ApiClient;
  q: string;
  filters: Filters;
  onOpen: (job: Job, n?: number) => void;
}) {
  const queries = useMemo(() => createApiQueries(api), [api]);
  const search = queries.useInfiniteQuery(
    "get",
    "/search",
    { params: { query: { q, limit: PAGE, ...filters } } },
    {
      pageParamName: "cursor",
      initialPageParam: "",
      getNextPageParam: (page) => page.nextCursor ?? undefined,
      retry: false,
    },
  );
  if (search.isPending) return <p className="muted">Searching…</p>;
  if (search.error) return <Failure error={search.error} />;
  const hits: SearchHit[] = search.data.pages.flatMap((page) => page.items);
  if (hits.length === 0)
    return (
      <p className="muted" data-testid="history-empty">
        No output matches “{q}”.
      </p>
    );
  return (
    <>
      <ul className="history-hits" data-testid="history-hits">
        {hits.map(({ job, lines, more }) => (
          <li key={job.id} className="history-hit" data-testid="history-hit" data-job-id={job.id}>
            <div className="history-hit-head">
              <button type="button" className="link" onClick={() => onOpen(job)}>
                <code>{job.name}</code>
              </button>
              <span className={`badge badge-${job.status}`}>{job.status}</span>
              <time className="muted" dateTime={job.createdAt}>
                {new Date(job.createdAt).toLocaleString()}
              </time>
            </div>
            {lines.map((line) => (
              <button
                key={line.n}
                type="button"
                className={`history-line${line.stream === "stderr" ? " output-stderr" : ""}`}
                data-testid="history-line"
                data-n={line.n}
                onClick={() => onOpen(job, line.n)}
              >
                <span className="history-line-number">{line.n + 1}</span>
                <AnsiText text={line.text} ranges={line.ranges} options={MARK_CR} />
              </button>
            ))}
            {more > 0 && <p className="muted">and {more.toLocaleString()} more matching lines</p>}
          </li>
        ))}
      </ul>
      <More list={search} />
    </>
  );
}

const MARK_CR = { carriageReturn: "mark" } as const;

function More({
  list,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}) {
  if (!list.hasNextPage) return null;
  return (
    <button
      type="button"
      className="history-more"
      data-testid="history-more"
      disabled={list.isFetchingNextPage}
      onClick={() => void list.fetchNextPage()}
    >
      {list.isFetchingNextPage ? "Loading…" : "Load more"}
    </button>
  );
}

function Failure({ error }: { error: unknown }) {
  const problem = asProblem(error);
  return (
    <p className="error" role="alert" data-testid="history-problem" data-problem-type={problem.type}>
      {problem.detail ?? describeError(problem)}
    </p>
  );
}
