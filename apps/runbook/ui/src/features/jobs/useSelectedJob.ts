import { useCallback, useEffect, useRef, useState } from "react";
import { subscribe } from "../../lib/subscribe";
import type { Platform } from "../../platform/types";

/**
 * Which job is selected. The shell keeps it for every window: this window
 * starts from the shell's, follows every change (from any window), and
 * tells the shell when the user picks another. Without a platform it is
 * this view's own.
 */
export function useSelectedJob(platform?: Platform): [string | null, (id: string | null) => void] {
  const [selectedId, setSelectedId] = useState<string | null>(null);
  // The user picked before the shell's answer came: that pick stands.
  const picked = useRef(false);

  useEffect(() => {
    if (!platform) return;
    const stop = subscribe(platform.onSelectionChanged(({ jobId }) => setSelectedId(jobId)));
    platform
      .selection()
      .then(({ jobId }) => {
        if (!picked.current) setSelectedId(jobId);
      })
      .catch(() => {});
    return stop;
  }, [platform]);

  const select = useCallback(
    (id: string | null) => {
      picked.current = true;
      // Shown at once; the shell's event to every window says the same.
      setSelectedId(id);
      platform?.selectJob(id).catch(() => {});
    },
    [platform],
  );
  return [selectedId, select];
}
