import { useEffect, useState } from "react";
import type { LaunchState } from "../../lib/bindings";
import type { Platform } from "../../platform";
import { followLaunch } from "./followLaunch";

/** Start-up as it happens: the current state first, then every change. */
export function useLaunchState(platform: Platform): LaunchState | null {
  const [state, setState] = useState<LaunchState | null>(null);
  useEffect(() => followLaunch(platform, setState), [platform]);
  return state;
}
