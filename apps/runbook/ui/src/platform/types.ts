import type { ApiEndpoint, AppInfo, CommandError, LaunchState } from "../lib/bindings";

export type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };

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
  apiEndpoint(): Promise<Result<ApiEndpoint, CommandError>>;
  quit(): Promise<void>;
}
