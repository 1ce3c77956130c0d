import type { EndpointError, SidecarError } from "tauri-plugin-convoy-supervisor-api";
import type { Problem } from "./api/client";
import type { CommandError } from "./bindings";

/**
 * A shell error (the app's commands or the supervisor plugin's), or Tauri's
 * own string rejection (bad arguments, denied permission) made typed.
 */
export type ShellError =
  | CommandError
  | SidecarError
  | EndpointError
  | { type: "IpcRejected"; message: string };

export function shellError(error: unknown): ShellError {
  if (typeof error === "object" && error !== null && "type" in error) return error as ShellError;
  return { type: "IpcRejected", message: error instanceof Error ? error.message : String(error) };
}

/** The one place that turns shell and api errors into words for people. */
export function describeError(error: ShellError | Problem): string {
  if ("status" in error) return error.detail ? `${error.title}: ${error.detail}` : error.title;
  switch (error.type) {
    case "LaunchInProgress":
      return "Runbook is already starting.";
    case "WindowFailed":
      return `The window could not be opened: ${error.reason}`;
    case "InvalidJobId":
      return `That is not a job id: ${error.reason}.`;
    case "UnknownSidecar":
      return `There is no service called “${error.name}”.`;
    case "NotExposed":
      return `“${error.name}” is not open to this window.`;
    case "NotReady":
      return error.name === "api"
        ? "The Runbook service is still starting."
        : `“${error.name}” is still starting.`;
    case "NotRestartable":
      return `“${error.name}” runs once at start-up and cannot be restarted.`;
    case "InvalidArgument":
      return `Invalid ${error.field}: ${error.reason}.`;
    case "IpcRejected":
      return `The app refused the request: ${error.message}`;
  }
}
