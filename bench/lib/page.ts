/**
 * Running code inside a Tauri app's webview, for the benchmarks whose timing
 * loops live in the page (ipc.ts, ui.ts): a function is sent as its source
 * and run there in one WebDriver call, so no WebDriver round trip sits inside
 * a timed loop. Also what those pages share: the Tauri globals they call and
 * the grain of their clock.
 */
import type { DriverSession } from "@convoy/testing";

type Browser = DriverSession["browser"];

/** What `@tauri-apps/api` calls underneath (the page's own globals). */
export interface TauriInternals {
  invoke<T = unknown>(command: string, args?: unknown, options?: unknown): Promise<T>;
  transformCallback<T = unknown>(callback: (response: T) => void, once?: boolean): number;
  unregisterCallback(id: number): void;
}

declare global {
  interface Window {
    __TAURI_INTERNALS__: TauriInternals;
    __TAURI_EVENT_PLUGIN_INTERNALS__: { unregisterListener(event: string, eventId: number): void };
    /** What the IPC page notes while it runs (its CSP violations). */
    __bench: { violations: string[] };
  }
}

/**
 * How long one in-page call may run (WebDriver's script timeout): under
 * WebdriverIO's own limit on one request (`connectionRetryTimeout`, 120 s by
 * default), so a loop that runs too long ends with the page's or the
 * driver's error rather than a request given up. Every loop of the full
 * plans takes seconds.
 */
export const SCRIPT_TIMEOUT_MS = 110_000;

/** Sets the session's script timeout so a long loop in the page is not cut short. */
export async function preparePage(browser: Browser): Promise<void> {
  await browser.setTimeout({ script: SCRIPT_TIMEOUT_MS });
}

/**
 * Runs `fn(arg)` in the page and returns what it resolves to. `fn` must be
 * self-contained (it is sent as source); its result travels as one JSON
 * string, and an error in the page comes back with its stack.
 */
export async function inPage<R, A = null>(browser: Browser, fn: (arg: A) => Promise<R>, arg?: A): Promise<R> {
  const script = `const done = arguments[arguments.length - 1];
(${fn.toString()})(arguments[0]).then(
  (value) => done(JSON.stringify({ ok: true, value })),
  (error) => done(JSON.stringify({ ok: false, error: \`\${error}\\n\${(error && error.stack) || ""}\` })),
);`;
  const raw = await browser.executeAsync(script, arg ?? null);
  const result = JSON.parse(String(raw)) as { ok: true; value: R } | { ok: false; error: string };
  if (!result.ok) throw new Error(`in the page: ${result.error}`);
  return result.value;
}

/** In the page: the smallest step of `performance.now()` (WebKit coarsens it). */
export async function timerResolution(): Promise<number> {
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20000; i++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    smallest = Math.min(smallest, b - a);
  }
  return smallest;
}

/** In the page: the webview's user agent. */
export async function userAgent(): Promise<string> {
  return navigator.userAgent;
}
