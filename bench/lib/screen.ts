/**
 * When the screen changed, as the X server saw it: the DAMAGE extension on
 * the root window of `$DISPLAY` (Xvfb here), one report per change, re-armed
 * at once. A page's requestAnimationFrame can run faster than what reaches
 * the screen (WebKitGTK without its compositor does not tie the two), so a
 * frame the user sees is measured here, between two changes of the screen.
 * Through `x11` (node-x11), a maintained client of the X protocol.
 */
import { createClient } from "x11";

export interface ScreenUpdates {
  /** Wall-clock times (ms, `performance.timeOrigin + performance.now()`) of the changes in [from, to]. */
  between(from: number, to: number): number[];
  close(): void;
}

const now = () => performance.timeOrigin + performance.now();

/** Starts recording every change of the screen on `display` until `close`. */
export function recordScreenUpdates(display = process.env.DISPLAY): Promise<ScreenUpdates> {
  if (!display) return Promise.reject(new Error("no DISPLAY to watch"));
  return new Promise((resolve, reject) => {
    createClient({ display }, (error, connection) => {
      if (error) return reject(new Error(`X display ${display}: ${error.message}`));
      const client = connection.client;
      const root = connection.screen[0]?.root;
      if (root === undefined) return reject(new Error(`X display ${display}: no screen`));
      client.on("error", (problem) => reject(new Error(`X display ${display}: ${problem.message}`)));
      client.require("damage", (problem, damage) => {
        if (problem) return reject(new Error(`X display ${display} has no DAMAGE: ${problem.message}`));
        const id = client.AllocID();
        const times: number[] = [];
        // NonEmpty: one event when the damaged region stops being empty; subtracting re-arms it.
        damage.Create(id, root, damage.ReportLevel.NonEmpty);
        client.on("event", (event) => {
          if (event.name !== "DamageNotify") return;
          times.push(now());
          damage.Subtract(id, 0, 0);
        });
        resolve({
          between: (from, to) => times.filter((t) => t >= from && t <= to),
          close() {
            damage.Destroy(id);
            client.terminate();
          },
        });
      });
    });
  });
}

/**
 * How long each step took to reach the screen, in ms: for each time in
 * `steps` (when the page changed what it shows), until the first change of
 * the screen after it; `end` where none came. While the page keeps moving,
 * that is the frame it waited for; a stalled screen makes it long, however
 * fast the page's script ran; and time when nothing was asked to change
 * (between two jumps, say) is not counted as a frame.
 */
export function stepToScreen(updates: readonly number[], steps: readonly number[], end: number): number[] {
  let k = 0;
  return steps.map((step) => {
    while (k < updates.length && (updates[k] ?? end) <= step) k++;
    return Math.min(updates[k] ?? end, end) - step;
  });
}
