import { commands, events } from "../lib/bindings";
import { shellError } from "../lib/errors";
import type { Platform } from "./types";

/** Turns a rejection Tauri raised before the command ran (bad arguments, a denied permission) into a typed error. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw shellError(error);
  }
}

export const tauriPlatform: Platform = {
  kind: "tauri",
  appInfo: () => guarded(commands.appInfo),
  launchState: () => guarded(commands.launchState),
  onLaunchProgress: (listener) => events.launchProgress.listen((event) => listener(event.payload)),
  retryLaunch: () => guarded(commands.retryLaunch),
  apiEndpoint: () => guarded(commands.apiEndpoint),
  quit: () => guarded(commands.quit),
};
