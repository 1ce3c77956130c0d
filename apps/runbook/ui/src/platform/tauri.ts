import { listen } from "@tauri-apps/api/event";
import { open } from "@tauri-apps/plugin-dialog";
import { commands as supervisor } from "tauri-plugin-convoy-supervisor-api";
import { commands, events } from "../lib/bindings";
import { shellError } from "../lib/errors";
import type { JobProgress, JobsChanged, Platform, Result } from "./types";

/** Turns a rejection Tauri raised before the command ran (bad arguments, a denied permission) into a typed error. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw shellError(error);
  }
}

/**
 * `guarded` for commands with typed errors. The generated wrapper hands any
 * non-`Error` rejection back as the command's error, so Tauri's own string
 * rejections would pass for a typed error; they are thrown as `IpcRejected` instead.
 */
async function guardedResult<T, E>(call: () => Promise<Result<T, E>>): Promise<Result<T, E>> {
  const result = await guarded(call);
  if (result.status === "error" && (typeof result.error !== "object" || result.error === null)) {
    throw shellError(result.error);
  }
  return result;
}

export const tauriPlatform: Platform = {
  kind: "tauri",
  appInfo: () => guarded(commands.appInfo),
  launchState: () => guarded(commands.launchState),
  onLaunchProgress: (listener) => events.launchProgress.listen((event) => listener(event.payload)),
  retryLaunch: () => guardedResult(commands.retryLaunch),
  apiEndpoint: () => guardedResult(() => supervisor.endpoint("api")),
  quit: () => guarded(commands.quit),
  sidecars: () => guarded(supervisor.list),
  onSidecarStatus: (listener) => events.sidecarStatus.listen((event) => listener(event.payload)),
  sidecarLogs: (name, limit) => guardedResult(() => supervisor.logs(name, limit)),
  onSidecarLog: (listener) => events.sidecarLog.listen((event) => listener(event.payload)),
  restartSidecar: (name) => guardedResult(() => supervisor.restart(name)),
  reportStartup: async () => {
    await guarded(commands.startupReport);
  },
  openWindow: (route) => guardedResult(() => commands.openWindow(route)),
  onJobsChanged: (listener) => listen<JobsChanged>("jobs:changed", (event) => listener(event.payload)),
  onJobProgress: (listener) => listen<JobProgress>("job:progress", (event) => listener(event.payload)),
  selection: () => guarded(commands.selection),
  selectJob: (jobId) => guardedResult(() => commands.selectJob(jobId)),
  onSelectionChanged: (listener) => events.selectionChanged.listen((event) => listener(event.payload)),
  choosePath: (kind, title) =>
    guarded(async () => {
      const chosen = await open({ directory: kind === "directory", multiple: false, title });
      return typeof chosen === "string" ? chosen : null;
    }),
};
