import type { Endpoint, EndpointError, SidecarError, SidecarLogs } from "tauri-plugin-convoy-supervisor-api";
import type {
  AppInfo,
  CommandError,
  LaunchState,
  Selection,
  SidecarLogBatch,
  SidecarStatus,
  WindowRoute,
} from "../lib/bindings";

export type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };

/** What a `path` parameter names, as its template says. */
export type PathKind = "file" | "directory";

/**
 * Everything the UI asks of the desktop shell. The Tauri implementation calls
 * the generated bindings; the browser one lets the same UI run in a browser.
 */
export interface Platform {
  readonly kind: "tauri" | "browser";
  appInfo(): Promise<AppInfo>;
  launchState(): Promise<LaunchState>;
  /** Calls `listener` on every start-up change; resolves to an unsubscribe function. */
  onLaunchProgress(listener: (state: LaunchState) => void): Promise<() => void>;
  retryLaunch(): Promise<Result<null, CommandError>>;
  /** The api's base URL and this launch's token (the supervisor's `endpoint("api")`). */
  apiEndpoint(): Promise<Result<Endpoint, EndpointError>>;
  quit(): Promise<void>;
  /** Every sidecar's status, in start order. */
  sidecars(): Promise<SidecarStatus[]>;
  /** Calls `listener` on every sidecar's status change; resolves to an unsubscribe function. */
  onSidecarStatus(listener: (status: SidecarStatus) => void): Promise<() => void>;
  /** The last `limit` (1 to 2000) lines a sidecar printed. */
  sidecarLogs(name: string, limit: number): Promise<Result<SidecarLogs, SidecarError>>;
  /** Calls `listener` with each batch of new sidecar output; resolves to an unsubscribe function. */
  onSidecarLog(listener: (batch: SidecarLogBatch) => void): Promise<() => void>;
  restartSidecar(name: string): Promise<Result<null, SidecarError>>;
  /** Start-up is over (data from the api is on screen): the shell records the time once, for benchmarks. */
  reportStartup(): Promise<void>;
  /** Opens the window for `route`, or focuses it if it is open. */
  openWindow(route: WindowRoute): Promise<Result<null, CommandError>>;
  /** Calls `listener` whenever the api reports a change to the jobs (from any window); resolves to an unsubscribe function. */
  onJobsChanged(listener: (change: JobsChanged) => void): Promise<() => void>;
  /** Calls `listener` with each progress a running job reports; resolves to an unsubscribe function. */
  onJobProgress(listener: (progress: JobProgress) => void): Promise<() => void>;
  /** Which job is selected: the shell keeps it for every window. */
  selection(): Promise<Selection>;
  /** Selects a job (or none) for every window. */
  selectJob(jobId: string | null): Promise<Result<Selection, CommandError>>;
  /** Calls `listener` whenever the selection changes (in any window); resolves to an unsubscribe function. */
  onSelectionChanged(listener: (selection: Selection) => void): Promise<() => void>;
  /**
   * Asks for one file or directory in the native open dialog, titled `title`;
   * the chosen path, or null when the user cancels. Absent where there is no
   * native dialog (a browser), where a path is typed. A plain function, so it
   * can be handed on without its platform.
   */
  readonly choosePath?: (kind: PathKind, title: string) => Promise<string | null>;
}

/** Broadcast by the api through the shell to every window as `jobs:changed`. */
export interface JobsChanged {
  id: string;
}

/** Broadcast by the api through the shell to every window as `job:progress`: what the job last reported. */
export interface JobProgress {
  id: string;
  /** 0 to 100; null when it has reported only a status line. */
  progress: number | null;
  /** Set when its last progress line gave steps (`::progress::3/8`). */
  progressSteps: { done: number; total: number } | null;
  /** Its last `::status::` text. */
  statusLine: string | null;
}
