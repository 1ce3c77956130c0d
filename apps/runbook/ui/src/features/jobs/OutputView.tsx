import { type FormEvent, memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { type ApiClient, asProblem, type Problem } from "../../lib/api/client";
import { describeError } from "../../lib/errors";
import { AnsiText } from "./AnsiText";
import type { Line } from "./lineStore";
import {
  atBottom,
  contentHeight,
  followAfterScroll,
  LINE_HEIGHT,
  lineTop,
  scrollTopFor,
  windowRange,
} from "./scrollMath";
import { useJobLines } from "./useJobLines";

/** Where to open the output: a line to scroll to and mark; `token` tells two jumps to one line apart. */
export interface JumpTarget {
  n: number;
  token: number;
}

interface Match {
  n: number;
  /** 1-based position among the run's matches. */
  k: number;
  count: number;
}

/** Used when the page has no layout (a test's DOM): a viewport of about 20 lines. */
const FALLBACK_HEIGHT = 360;

/**
 * A run's output: only the lines in view (and a few around) are in the page,
 * each LINE_HEIGHT high, with its number in the gutter (drawn by CSS, so it
 * is not part of the text), stderr marked, ANSI colours shown. Follows the
 * end of a running job while scrolled to the bottom; jumps to the start, the
 * end, a line, or a search match.
 */
export function OutputView({
  api,
  jobId,
  live,
  jumpTo,
  onEnded,
}: {
  api: ApiClient;
  jobId: string;
  /** The job may still write: follow its live output. */
  live: boolean;
  jumpTo?: JumpTarget;
  onEnded?: () => void;
}) {
  const store = useJobLines(api, jobId, live);
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ scrollTop: 0, height: FALLBACK_HEIGHT });
  const [following, setFollowing] = useState(jumpTo === undefined);
  const [target, setTarget] = useState<number | null>(jumpTo?.n ?? null);
  // The scroll position the view set itself; a scroll event landing there is not the user's.
  const placed = useRef<number | null>(null);
  const count = store.count;
  const ended = store.ended;

  useEffect(() => {
    if (ended) onEnded?.();
  }, [ended, onEnded]);

  const measure = useCallback(() => {
    const element = scroller.current;
    if (!element) return;
    setViewport({ scrollTop: element.scrollTop, height: element.clientHeight || FALLBACK_HEIGHT });
  }, []);

  const place = useCallback(
    (scrollTop: number) => {
      const element = scroller.current;
      if (!element) return;
      element.scrollTop = scrollTop;
      placed.current = element.scrollTop;
      measure();
    },
    [measure],
  );

  const scrollToLine = useCallback(
    (n: number) => {
      const height = scroller.current?.clientHeight || FALLBACK_HEIGHT;
      // The line a third of the way down: some context above it.
      place(scrollTopFor(n - Math.floor(height / LINE_HEIGHT / 3), store.count, height));
    },
    [place, store],
  );

  useEffect(() => {
    const element = scroller.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [measure]);

  // A jump to a line: once the run has that many lines, scroll there, mark it, stop following.
  const [jumped, setJumped] = useState<number | null>(null);
  useLayoutEffect(() => {
    if (!jumpTo || jumped === jumpTo.token || count <= jumpTo.n) return;
    setJumped(jumpTo.token);
    setFollowing(false);
    setTarget(jumpTo.n);
    scrollToLine(jumpTo.n);
  }, [jumpTo, jumped, count, scrollToLine]);

  // Following: the newest line stays in view as lines come.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (following && element && count > 0) place(element.scrollHeight);
  }, [following, count, place]);

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    const byUser = placed.current === null || Math.abs(element.scrollTop - placed.current) > 1;
    placed.current = null;
    const bottom = atBottom(element.scrollTop, element.clientHeight, element.scrollHeight);
    setFollowing((now) => followAfterScroll(now, byUser, bottom));
    measure();
  };

  const { from, to, first } = windowRange(count, viewport);
  // Every render: the window moved, or lines it needs were evicted or grew.
  useEffect(() => store.want(from, to));
  const rows: { n: number; line: Line | undefined }[] = [];
  for (let n = from; n < to; n++) rows.push({ n, line: store.line(n) });
  const digits = String(Math.max(count, 1)).length;

  return (
    <div className="output-view">
      <div className="output-toolbar">
        <button
          type="button"
          data-testid="output-start"
          onClick={() => {
            setFollowing(false);
            place(0);
          }}
        >
          Start
        </button>
        <button
          type="button"
          data-testid="output-end"
          onClick={() => {
            setFollowing(!ended);
            place(scroller.current?.scrollHeight ?? 0);
          }}
        >
          End
        </button>
        {!ended && (
          <button
            type="button"
            data-testid="output-follow"
            aria-pressed={following}
            onClick={() => {
              setFollowing(true);
              place(scroller.current?.scrollHeight ?? 0);
            }}
          >
            {following ? "Following" : "Follow"}
          </button>
        )}
        <span className="muted" data-testid="output-count">
          {count.toLocaleString()} {count === 1 ? "line" : "lines"}
        </span>
        <RunSearch
          api={api}
          jobId={jobId}
          onMatch={(n) => {
            setFollowing(false);
            setTarget(n);
            scrollToLine(n);
          }}
        />
      </div>
      {store.error !== null && (
        <p
          className="error"
          role="alert"
          data-testid="output-problem"
          data-problem-type={asProblem(store.error).type}
        >
          {describeError(asProblem(store.error))} Retrying…
        </p>
      )}
      <div
        className="job-output"
        data-testid="job-output"
        data-ended={ended}
        data-lines={count}
        data-following={following}
        ref={scroller}
        onScroll={onScroll}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the output scrolls by keyboard too
        tabIndex={0}
        style={{ "--gutter": `${digits + 1}ch` } as React.CSSProperties}
      >
        <div className="output-content" style={{ height: contentHeight(count) }}>
          {/* One box moves with the window; the rows in it keep their props, so only new ones render. */}
          <div
            className="output-window"
            style={{ transform: `translateY(${lineTop(from, first, viewport.scrollTop)}px)` }}
          >
            {rows.map(({ n, line }) => (
              <OutputLine key={n} n={n} line={line} marked={n === target} />
            ))}
          </div>
        </div>
      </div>
      {store.meta.truncated && (
        <p className="muted" data-testid="output-truncated">
          Output truncated: the run wrote past its output cap, and the rest was dropped.
        </p>
      )}
      {rows.some((row) => row.line?.stream === "stderr") && (
        <p className="muted output-key" data-testid="output-key">
          <span className="output-key-stderr">stderr</span> is shown in red, with a bar at its left.
        </p>
      )}
      {ended && count === 0 && (
        <p className="muted" data-testid="output-empty">
          No output.
        </p>
      )}
    </div>
  );
}

/** A line's row: the same (n, line, marked) renders nothing again; a line's ANSI is parsed once per row. */
const OutputLine = memo(function OutputLine({
  n,
  line,
  marked,
}: {
  n: number;
  line: Line | undefined;
  marked: boolean;
}) {
  const stderr = line?.stream === "stderr";
  const className = [
    "output-line",
    stderr ? "output-stderr" : "",
    marked ? "output-marked" : "",
    line ? "" : "output-loading",
  ]
    .filter(Boolean)
    .join(" ");
  return (
    <div
      className={className}
      data-n={n}
      data-line={n + 1}
      data-stream={line?.stream}
      title={stderr ? "stderr" : undefined}
    >
      {line?.clipped !== undefined && (
        <span className="line-clipped" data-testid="line-clipped">
          line clipped: {formatBytes(line.clipped)}
        </span>
      )}
      {line ? <AnsiText text={line.text} /> : "…"}
      {"\n"}
    </div>
  );
});

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

/** Search within the run: next and previous match, "k of N". */
function RunSearch({ api, jobId, onMatch }: { api: ApiClient; jobId: string; onMatch: (n: number) => void }) {
  const [query, setQuery] = useState("");
  const [match, setMatch] = useState<Match | null>(null);
  const [none, setNone] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const asked = useRef("");

  const find = async (direction: "next" | "prev") => {
    const q = query.trim();
    if (q === "") return;
    const current = asked.current === q ? match : null;
    asked.current = q;
    const ask = async (from: number | undefined) => {
      const { data, error, response } = await api.GET("/jobs/{id}/search", {
        params: { path: { id: jobId }, query: { q, direction, ...(from === undefined ? {} : { from }) } },
      });
      if (!data) throw asProblem(error, response.status);
      return data;
    };
    try {
      let answer = await ask(current?.n);
      let k = current ? current.k + (direction === "next" ? 1 : -1) : direction === "next" ? 1 : answer.count;
      // Past the last (or the first): round again.
      if (answer.n === null && answer.count > 0 && current) {
        answer = await ask(undefined);
        k = direction === "next" ? 1 : answer.count;
      }
      setProblem(null);
      if (answer.n === null) {
        setMatch(null);
        setNone(true);
        return;
      }
      setNone(false);
      setMatch({ n: answer.n, k, count: answer.count });
      onMatch(answer.n);
    } catch (error) {
      setMatch(null);
      setProblem(asProblem(error));
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void find("next");
  };

  return (
    <form className="run-search" onSubmit={onSubmit}>
      <input
        aria-label="Find in output"
        data-testid="run-search-input"
        placeholder="Find in output"
        value={query}
        onChange={(event) => {
          setQuery(event.target.value);
          setMatch(null);
          setNone(false);
        }}
      />
      <button
        type="button"
        data-testid="run-search-prev"
        disabled={query.trim() === ""}
        onClick={() => void find("prev")}
      >
        ↑
      </button>
      <button type="submit" data-testid="run-search-next" disabled={query.trim() === ""}>
        ↓
      </button>
      <span className="muted" data-testid="run-search-status" aria-live="polite">
        {match ? `${match.k} of ${match.count}` : none ? "no matches" : ""}
      </span>
      {problem && (
        <span className="error" role="alert" data-testid="run-search-problem">
          {problem.detail ?? describeError(problem)}
        </span>
      )}
    </form>
  );
}
