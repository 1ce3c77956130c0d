import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type DownloadProgress,
  type JobsPolicy,
  type StagedUpdate,
  type UpdateCheck,
  type UpdateError,
} from "../../lib/bindings";
import { describeError, shellError } from "../../lib/errors";
import type { Platform, Result } from "../../platform";

/** The shell's update commands; only the desktop app has them. */
export interface Updater {
  check(): Promise<Result<UpdateCheck, UpdateError>>;
  download(onProgress: (progress: DownloadProgress) => void): Promise<Result<StagedUpdate, UpdateError>>;
  install(jobs: JobsPolicy): Promise<Result<null, UpdateError>>;
}

/** A rejection before the command ran (a denied permission): shown as the error it is. */
async function typed<T>(call: () => Promise<Result<T, UpdateError>>): Promise<Result<T, UpdateError>> {
  try {
    const result = await call();
    if (result.status === "error" && (typeof result.error !== "object" || result.error === null)) {
      throw result.error;
    }
    return result;
  } catch (reason) {
    return { status: "error", error: { type: "Network", message: describeError(shellError(reason)) } };
  }
}

export const tauriUpdater: Updater = {
  check: () => typed(commands.checkUpdate),
  download: (onProgress) =>
    typed(() => {
      const channel = new Channel<DownloadProgress>();
      channel.onmessage = onProgress;
      return commands.downloadUpdate(channel);
    }),
  install: (jobs) => typed(() => commands.installUpdate(jobs)),
};

/** The updater of `platform`; none in a browser, where the page is whatever the server serves. */
export function updaterFor(platform: Platform): Updater | null {
  return platform.kind === "tauri" ? tauriUpdater : null;
}

/** What the UI says for each refusal; `type` decides, never the message text. */
export function describeUpdateError(error: UpdateError): string {
  switch (error.type) {
    case "NotConfigured":
      return `Updates are not configured: ${error.message}`;
    case "Unsupported":
      return `This copy cannot update itself: ${error.message}`;
    case "Network":
      return `The update could not be fetched: ${error.message}`;
    case "InvalidManifest":
      return `The update server sent something that is not an update: ${error.message}`;
    case "BadSignature":
      return `Refused: the update is not signed by Runbook's key (${error.message})`;
    case "VersionMismatch":
      return `Refused: the update claims version ${error.announced} but is version ${error.found}`;
    case "WrongPackage":
      return `Refused: the update is not a Runbook package (${error.message})`;
    case "NothingPending":
      return `There is no ${error.what} update; check again.`;
    case "Busy":
      return "An update is already in progress.";
    case "JobsRunning":
      return `${error.count} job(s) are running.`;
    case "JobsUnknown":
      return `Could not tell which jobs are running, so nothing was stopped: ${error.message}`;
    case "NeedsPrivilege":
      return `Installing needs administrator rights: ${error.message}. Run this in a terminal instead:`;
    case "InstallFailed":
      return `The update could not be installed; the app keeps running as it was: ${error.message}`;
  }
}
