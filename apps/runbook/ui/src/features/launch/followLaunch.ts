import type { LaunchState } from "../../lib/bindings";
import type { Platform } from "../../platform/types";

/** What following start-up needs from the shell. */
export type LaunchSource = Pick<Platform, "launchState" | "onLaunchProgress">;

/**
 * Start-up as it happens: `listener` gets the current state first, then every
 * change. It subscribes before it reads, so a change between the two is not
 * missed, and a state read after a newer event does not overwrite it. Returns
 * the function that stops following.
 */
export function followLaunch(
  shell: LaunchSource,
  listener: (state: LaunchState) => void,
  onError: (reason: unknown) => void = () => {},
): () => void {
  let live = true;
  let heard = false;
  let unlisten: (() => void) | undefined;
  shell
    .onLaunchProgress((next) => {
      if (!live) return;
      heard = true;
      listener(next);
    })
    .then((stop) => {
      unlisten = stop;
      if (!live) stop();
      return shell.launchState();
    })
    .then((current) => {
      if (live && !heard) listener(current);
    })
    .catch((reason) => {
      if (live) onError(reason);
    });
  return () => {
    live = false;
    unlisten?.();
  };
}
