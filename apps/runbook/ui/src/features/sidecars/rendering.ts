import type { RenderingChoice, RenderingReason } from "../../lib/bindings";

const WHY: Record<RenderingReason, string> = {
  platform: "the platform's one way to draw",
  override: "CONVOY_WEBVIEW_COMPOSITING says so",
  alreadySet: "WEBKIT_DISABLE_COMPOSITING_MODE was set",
  gpu: "a GPU could be opened",
  noGpu:
    "no GPU could be opened, and compositing on the CPU is slower; CONVOY_WEBVIEW_COMPOSITING=on turns it back on",
};

/** One line for the diagnostics: how the shell chose to have the webview draw, and why. */
export function describeRendering({ rendering, reason }: RenderingChoice): string {
  const how = rendering === "direct" ? "painted directly, without a compositor" : "composited";
  return `Webview: ${how} (${WHY[reason]}).`;
}
