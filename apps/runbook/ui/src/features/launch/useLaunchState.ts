import { useEffect, useState } from "react";
import type { LaunchState } from "../../lib/bindings";
import type { Platform } from "../../platform";

/** Start-up as it happens: the current state first, then every change. */
export function useLaunchState(platform: Platform): LaunchState | null {
  const [state, setState] = useState<LaunchState | null>(null);
  useEffect(() => {
    let live = true;
    let unlisten: (() => void) | undefined;
    // Subscribe before reading, so a change between the two is not missed.
    platform
      .onLaunchProgress((next) => live && setState(next))
      .then((stop) => {
        unlisten = stop;
        if (!live) stop();
        return platform.launchState();
      })
      .then((current) => live && setState((seen) => seen ?? current));
    return () => {
      live = false;
      unlisten?.();
    };
  }, [platform]);
  return state;
}
