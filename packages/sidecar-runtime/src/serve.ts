/**
 * Starts a sidecar's HTTP API on loopback and tells the shell it is ready.
 */
import { announceReady, READY_LINE } from "./ready.ts";

/** The ready line of an HTTP sidecar, before its port. */
export const READY_LINE_PREFIX = `${READY_LINE} port=`;

export class PortInUseError extends Error {
  override readonly name = "PortInUseError";

  constructor(readonly port: number) {
    super(`port ${port} is already in use`);
  }
}

export interface FetchHandler {
  fetch: (request: Request) => Response | Promise<Response>;
}

export type ApiServer = ReturnType<typeof Bun.serve>;

/**
 * Serves `app` on 127.0.0.1 only (never all interfaces), then prints
 * `convoy:ready port=<port>` as the single line of stdout.
 * Throws PortInUseError, which the entry point maps to exit code 3.
 */
export function serveApi(app: FetchHandler, options: { port: number }): ApiServer {
  let server: ApiServer;
  try {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: options.port,
      fetch: (request) => app.fetch(request),
    });
  } catch (error) {
    if (isAddressInUse(error)) throw new PortInUseError(options.port);
    throw error;
  }
  announceReady(`port=${server.port}`);
  return server;
}

function isAddressInUse(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "EADDRINUSE";
}
