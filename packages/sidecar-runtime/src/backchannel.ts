// The client side of the shell's back-channel: HTTP on its private Unix
// socket, with this launch's token. The protocol's types are generated from
// the Rust declarations (backchannel-protocol.ts); this file only sends them.
import type { BackchannelError, Broadcast, FocusWindow, Notify, OpenWindow } from "./backchannel-protocol.ts";
import type { BackchannelEnv } from "./env.ts";

export type { BackchannelError, Broadcast, FocusWindow, Notify, OpenWindow } from "./backchannel-protocol.ts";

export type BackchannelResult = { ok: true } | { ok: false; error: BackchannelError };

const DEFAULT_TIMEOUT_MS = 2_000;

export interface Backchannel {
  focusWindow(request: FocusWindow): Promise<BackchannelResult>;
  openWindow(request: OpenWindow): Promise<BackchannelResult>;
  notify(request: Notify): Promise<BackchannelResult>;
  broadcast(request: Broadcast): Promise<BackchannelResult>;
}

/**
 * A client for the shell's back-channel. Calls never throw: a shell that is
 * gone or refuses answers with a typed error, so a failed notification never
 * fails the request that caused it.
 */
export function createBackchannel(env: BackchannelEnv, timeoutMs = DEFAULT_TIMEOUT_MS): Backchannel {
  const post = async (action: string, body: unknown): Promise<BackchannelResult> => {
    try {
      const response = await fetch(`http://backchannel/v1/${action}`, {
        method: "POST",
        unix: env.socket,
        headers: { Authorization: `Bearer ${env.token}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status === 204) return { ok: true };
      const error = (await response.json().catch(() => null)) as BackchannelError | null;
      return {
        ok: false,
        error: error ?? { type: "Unavailable", reason: `the shell answered ${response.status}` },
      };
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      return { ok: false, error: { type: "Unavailable", reason: `the shell is unreachable: ${reason}` } };
    }
  };
  return {
    focusWindow: (request) => post("focus-window", request),
    openWindow: (request) => post("open-window", request),
    notify: (request) => post("notify", request),
    broadcast: (request) => post("broadcast", request),
  };
}
