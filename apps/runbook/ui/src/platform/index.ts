import { browserPlatform } from "./browser";
import { tauriPlatform } from "./tauri";
import type { Platform } from "./types";

export type { PathKind, Platform, Result } from "./types";

/** The platform this page runs on: the Tauri webview or a browser. */
export function platform(): Platform {
  return "__TAURI_INTERNALS__" in window ? tauriPlatform : browserPlatform(window.location.hash);
}
