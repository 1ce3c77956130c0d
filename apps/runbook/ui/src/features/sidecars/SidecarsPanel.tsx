import { memo, useLayoutEffect, useRef, useState } from "react";
import type { RenderingChoice, SidecarStatus } from "../../lib/bindings";
import { describeError, type ShellError } from "../../lib/errors";
import { formatUptime, useNow } from "../../lib/time";
import type { Platform } from "../../platform";
import { type LogTail, tailEntries } from "./logTail";
import { describeRendering } from "./rendering";
import { useSidecars } from "./useSidecars";

/** The newest output, kept scrolled to the end unless the reader has scrolled up. */
const LogTailView = memo(function LogTailView({ tail }: { tail: LogTail | undefined }) {
  const ref = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  useLayoutEffect(() => {
    const element = ref.current;
    if (element && atEnd.current && tail) element.scrollTop = element.scrollHeight;
  }, [tail]);
  const onScroll = () => {
    const element = ref.current;
    if (element) atEnd.current = element.scrollHeight - element.scrollTop - element.clientHeight < 8;
  };
  return (
    <pre className="sidecar-log" data-testid="sidecar-log" ref={ref} onScroll={onScroll}>
      {tail && tail.lines.length > 0 ? (
        tailEntries(tail).map((entry) =>
          entry.kind === "gap" ? (
            <span key={`gap-${entry.before}`} className="log-gap">
              … {entry.skipped} {entry.skipped === 1 ? "line" : "lines"} skipped{"\n"}
            </span>
          ) : (
            <span key={entry.number}>
              {entry.text}
              {"\n"}
            </span>
          ),
        )
      ) : (
        <span className="muted">No output yet.</span>
      )}
    </pre>
  );
});

interface RowProps {
  status: SidecarStatus;
  tail: LogTail | undefined;
  error: ShellError | undefined;
  restarting: boolean;
  now: number;
  onRestart(name: string): void;
}

function SidecarRow({ status, tail, error, restarting, now, onRestart }: RowProps) {
  return (
    <li className="sidecar" data-testid="sidecar" data-name={status.name} data-state={status.state}>
      <div className="sidecar-head">
        <span className="sidecar-name">{status.name}</span>
        <span className="badge sidecar-state" data-testid="sidecar-state" data-state={status.state}>
          {status.state}
        </span>
        <dl className="sidecar-facts">
          {status.pid !== null && (
            <div>
              <dt>pid</dt>
              <dd data-testid="sidecar-pid">{status.pid}</dd>
            </div>
          )}
          {status.port !== null && (
            <div>
              <dt>port</dt>
              <dd data-testid="sidecar-port">{status.port}</dd>
            </div>
          )}
          {status.state === "ready" && (
            <div>
              <dt>up</dt>
              <dd data-testid="sidecar-uptime">{formatUptime(now - status.since)}</dd>
            </div>
          )}
          <div>
            <dt>restarts</dt>
            <dd data-testid="sidecar-restarts">{status.restarts}</dd>
          </div>
          {status.lastExitCode !== null && (
            <div>
              <dt>last exit code</dt>
              <dd data-testid="sidecar-exit-code">{status.lastExitCode}</dd>
            </div>
          )}
        </dl>
        {/* A one-shot step ran at start-up; running it again under the live api is never wanted. */}
        {!status.oneShot && (
          <button
            type="button"
            data-testid="sidecar-restart"
            disabled={restarting}
            onClick={() => onRestart(status.name)}
          >
            {restarting ? "Restarting…" : "Restart"}
          </button>
        )}
      </div>
      {status.state === "failed" && status.reason && (
        <p className="error" data-testid="sidecar-reason">
          {status.reason}
        </p>
      )}
      {error && (
        <p className="error" role="alert" data-testid="sidecar-error" data-error-type={error.type}>
          {describeError(error)}
        </p>
      )}
      <LogTailView tail={tail} />
    </li>
  );
}

/** "4 ready", "3 ready · 1 failed": one line for the collapsed panel. */
export function summarize(rows: readonly SidecarStatus[]): string {
  const counts = new Map<string, number>();
  for (const status of rows) {
    // A one-shot step that finished is as good as ready.
    const state =
      status.oneShot && status.state === "stopped" && status.lastExitCode === 0 ? "ready" : status.state;
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  return [...counts].map(([state, n]) => `${n} ${state}`).join(" · ");
}

interface PanelProps {
  platform: Platform;
  /** Open at first; a collapsed panel shows one summary line and renders no rows. */
  defaultOpen?: boolean;
  /** Shown open whatever the reader chose (while the sidecars start, say); a failed sidecar always is. */
  attention?: boolean;
  /** How the webview draws, as the shell chose; a browser has no choice to show. */
  rendering?: RenderingChoice | null;
}

/** The shell's sidecars: each one's state, facts, newest output, and a Restart button. */
export function SidecarsPanel({ platform, defaultOpen = true, attention = false, rendering }: PanelProps) {
  const { statuses, logs, errors, restarting, loading, error, restart } = useSidecars(platform);
  const rows = [...statuses.values()];
  const [chosenOpen, setChosenOpen] = useState(defaultOpen);
  const failed = rows.some((status) => status.state === "failed");
  const open = chosenOpen || attention || failed || error !== null;
  const now = useNow(open && rows.some((status) => status.state === "ready"));

  return (
    <section className="sidecars" data-testid="sidecars" data-open={open} aria-labelledby="sidecars-heading">
      <h2 id="sidecars-heading">
        <button
          type="button"
          className="sidecars-toggle"
          data-testid="sidecars-toggle"
          aria-expanded={open}
          onClick={() => setChosenOpen(!open)}
        >
          Sidecars
          {rows.length > 0 && (
            <span className="muted" data-testid="sidecars-summary">
              {" "}
              · {summarize(rows)}
            </span>
          )}
        </button>
      </h2>
      {error && (
        <p className="error" role="alert" data-testid="sidecars-error" data-error-type={error.type}>
          {describeError(error)}
        </p>
      )}
      {open && rendering && (
        <p
          className="muted"
          data-testid="webview-rendering"
          data-rendering={rendering.rendering}
          data-reason={rendering.reason}
        >
          {describeRendering(rendering)}
        </p>
      )}
      {!open ? null : rows.length > 0 ? (
        <ul className="sidecar-list">
          {rows.map((status) => (
            <SidecarRow
              key={status.name}
              status={status}
              tail={logs.get(status.name)}
              error={errors.get(status.name)}
              restarting={restarting.has(status.name)}
              now={now}
              onRestart={restart}
            />
          ))}
        </ul>
      ) : loading ? (
        <p className="muted">Loading sidecars…</p>
      ) : (
        !error && (
          <p className="muted" data-testid="sidecars-empty">
            {platform.kind === "browser"
              ? "No sidecars: in a browser the Runbook service runs on its own."
              : "No sidecars."}
          </p>
        )
      )}
    </section>
  );
}
