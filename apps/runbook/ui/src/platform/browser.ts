import type { LaunchState, Selection } from "../lib/bindings";
import type { Platform } from "./types";

const ready: LaunchState = { phase: "ready", steps: [], failure: null };

/**
 * The UI in a plain browser, against an api started by hand or by a test:
 * `#api=<base url>&token=<token>` in the address gives the endpoint.
 */
export function browserPlatform(hash: string): Platform {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const baseUrl = params.get("api");
  const token = params.get("token");
  // One window, so the page keeps the selection itself.
  let selection: Selection = { jobId: null };
  const selectionListeners = new Set<(selection: Selection) => void>();
  return {
    kind: "browser",
    appInfo: async () => ({
      name: "Runbook",
      version: "browser",
      tauriVersion: "none",
      os: navigator.platform,
      arch: "",
      debug: false,
      rendering: null,
    }),
    launchState: async () => ready,
    onLaunchProgress: async () => () => {},
    retryLaunch: async () => ({ status: "ok", data: null }),
    apiEndpoint: async () =>
      baseUrl && token
        ? { status: "ok", data: { baseUrl, token } }
        : { status: "error", error: { type: "NotReady", name: "api" } },
    quit: async () => window.close(),
    // No shell, so no sidecars: the api (if any) was started by hand.
    sidecars: async () => [],
    onSidecarStatus: async () => () => {},
    sidecarLogs: async (name) => ({ status: "error", error: { type: "UnknownSidecar", name } }),
    onSidecarLog: async () => () => {},
    restartSidecar: async (name) => ({ status: "error", error: { type: "UnknownSidecar", name } }),
    // No shell to time a start-up.
    reportStartup: async () => {},
    // One window only, and no shell to broadcast: the list reloads on submit.
    openWindow: async () => ({
      status: "error",
      error: { type: "WindowFailed", reason: "a browser has no app windows" },
    }),
    onJobsChanged: async () => () => {},
    // Progress shows when the job ends (a browser has no shell to broadcast it).
    onJobProgress: async () => () => {},
    selection: async () => selection,
    selectJob: async (jobId) => {
      selection = { jobId };
      for (const listener of selectionListeners) listener(selection);
      return { status: "ok", data: selection };
    },
    onSelectionChanged: async (listener) => {
      selectionListeners.add(listener);
      return () => selectionListeners.delete(listener);
    },
    // No `choosePath`: a page cannot learn a file's path, so paths are typed.
  };
}
