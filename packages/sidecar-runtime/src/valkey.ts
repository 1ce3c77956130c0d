/**
 * A connection to the shell's Valkey over its private Unix socket: AUTH with
 * the per-launch password, then commands; reconnects forever, so a restarted
 * Valkey never leaves a sidecar wedged.
 *
 * A minimal RESP2 client over `Bun.connect({ unix })` rather than Bun's
 * RedisClient (Bun 1.4.5), because that client answers a wrong password with
 * the same "Connection closed" as a missing server, does not retry a first
 * connection that fails, caps its backoff at 2 s with a finite retry count,
 * and fires no event when the server goes away; each of those is a
 * requirement here. This one knows a handful of commands; `command()` sends
 * any other.
 */
import { type LineLogger, log } from "./log.ts";
import { encodeCommand, RespError, RespReader, type RespValue } from "./resp.ts";

export type ValkeyStatus = "up" | "down";

export interface ValkeyOptions {
  /** Absolute path of the server's Unix socket. */
  socket: string;
  password: string;
  /** Who is connecting (e.g. the role); names this connection in log lines. */
  name: string;
  /** Defaults to the process-wide logger; the password is registered with it for redaction. */
  logger?: LineLogger;
  /** Delays between connection attempts: doubling from `initialMs` up to `maxMs`. */
  reconnect?: { initialMs: number; maxMs: number };
  /** How long AUTH and each command may take before the connection counts as dead. */
  timeoutMs?: number;
}

export const DEFAULT_RECONNECT = { initialMs: 50, maxMs: 1000 } as const;
export const DEFAULT_VALKEY_TIMEOUT_MS = 2000;

/** Any failure to use Valkey; never carries the password or a command's arguments. */
export class ValkeyError extends Error {
  override readonly name: string = "ValkeyError";
}

/** Not connected right now: the server is down, restarting, or too slow. Retrying later may work. */
export class ValkeyUnavailableError extends ValkeyError {
  override readonly name = "ValkeyUnavailableError";
}

/** The server refused the password: a configuration error that retrying will not fix. */
export class ValkeyAuthError extends ValkeyError {
  override readonly name = "ValkeyAuthError";

  constructor(readonly code: string) {
    super(`valkey refused the password (${code})`);
  }
}

/** The server answered a command with an error reply, e.g. WRONGTYPE. */
export class ValkeyReplyError extends ValkeyError {
  override readonly name = "ValkeyReplyError";

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`valkey error reply: ${message}`);
  }
}

interface PendingReply {
  resolve: (value: RespValue) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface UpWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

type State = "connecting" | "up" | "down" | "closed";
type Socket = Awaited<ReturnType<typeof Bun.connect>>;

/** Starts connecting in the background and returns at once; see ValkeyConnection. */
export function connectValkey(options: ValkeyOptions): ValkeyConnection {
  return new ValkeyConnection(options);
}

export class ValkeyConnection {
  readonly name: string;
  readonly #socketPath: string;
  readonly #password: string;
  readonly #log: LineLogger;
  readonly #reconnect: { initialMs: number; maxMs: number };
  readonly #timeoutMs: number;

  #state: State = "connecting";
  #socket: Socket | null = null;
  readonly #reader = new RespReader();
  /** Replies come back in the order commands went out, so one FIFO matches them up. */
  #pending: PendingReply[] = [];
  /** Bytes the kernel did not take yet; written on drain, in order. */
  #outbox: Uint8Array[] = [];
  #upWaiters: UpWaiter[] = [];
  #retryDelayMs: number;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #everUp = false;
  /** What the current outage has been logged as, so it is logged once. */
  #outageKind: "unavailable" | "auth" | null = null;
  #lastError: ValkeyError | null = null;

  constructor(options: ValkeyOptions) {
    this.name = options.name;
    this.#socketPath = options.socket;
    this.#password = options.password;
    this.#log = options.logger ?? log;
    this.#log.redact(options.password);
    this.#reconnect = options.reconnect ?? DEFAULT_RECONNECT;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_VALKEY_TIMEOUT_MS;
    this.#retryDelayMs = this.#reconnect.initialMs;
    void this.#attempt();
  }

  /** "up" once authenticated, until the connection is lost or closed. */
  status(): ValkeyStatus {
    return this.#state === "up" ? "up" : "down";
  }

  /**
   * Resolves when the connection is up. Rejects with ValkeyAuthError while the
   * server refuses the password, with ValkeyUnavailableError once closed, and
   * with `signal.reason` when `signal` aborts.
   */
  untilUp(signal?: AbortSignal): Promise<void> {
    if (this.#state === "up") return Promise.resolve();
    if (this.#state === "closed") return Promise.reject(this.#unavailable());
    if (this.#lastError instanceof ValkeyAuthError) return Promise.reject(this.#lastError);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#upWaiters = this.#upWaiters.filter((waiter) => waiter !== entry);
        reject(signal?.reason);
      };
      const entry: UpWaiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#upWaiters.push(entry);
    });
  }

  async ping(): Promise<void> {
    const reply = await this.command(["PING"]);
    if (reply !== "PONG") throw new ValkeyReplyError("UNEXPECTED", "PING was not answered with PONG");
  }

  /** SET with an optional expiry in milliseconds (PX). */
  async set(key: string, value: string, options: { px?: number } = {}): Promise<void> {
    const args = ["SET", key, value];
    if (options.px !== undefined) args.push("PX", String(options.px));
    await this.command(args);
  }

  async get(key: string): Promise<string | null> {
    const reply = await this.command(["GET", key]);
    if (reply !== null && typeof reply !== "string") {
      throw new ValkeyReplyError("UNEXPECTED", "GET answered with something other than a string");
    }
    return reply;
  }

  /**
   * Sends one command. Rejects at once with ValkeyUnavailableError (or the
   * ValkeyAuthError that keeps it down) when not up: nothing is queued for
   * later, so a caller never acts on a stale command.
   *
   * `timeoutMs` replaces the connection's timeout for this one command, for a
   * blocking one (`XREAD BLOCK …`): it must exceed the time the server may
   * block. A blocking command holds the connection, so give it its own.
   */
  async command(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<RespValue> {
    if (this.#state !== "up") throw this.#unavailable();
    const reply = await this.#send(args, options.timeoutMs ?? this.#timeoutMs);
    if (reply instanceof RespError) throw new ValkeyReplyError(reply.code, reply.message);
    return reply;
  }

  /** Stops reconnecting and closes the connection; commands in flight are rejected. */
  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#dropSocket(new ValkeyUnavailableError("the valkey connection is closed"));
    for (const waiter of this.#upWaiters.splice(0)) waiter.reject(this.#unavailable());
  }

  async #attempt(): Promise<void> {
    this.#retryTimer = null;
    if (this.#state === "closed") return;
    this.#state = "connecting";
    try {
      const socket = await Bun.connect({
        unix: this.#socketPath,
        socket: {
          data: (from, chunk) => this.#onData(from, chunk),
          drain: (from) => this.#onDrain(from),
          close: (from) => this.#onSocketGone(from),
          end: (from) => {
            from.end();
          },
          error: (from) => {
            from.end();
          },
          connectError: () => {},
        },
      });
      if (this.#isClosed()) {
        socket.end();
        return;
      }
      this.#socket = socket;
      const reply = await this.#send(["AUTH", this.#password], this.#timeoutMs);
      // The server answers AUTH with an error when the password is wrong, and
      // also when it has none configured: either way, not the server we expect.
      if (reply instanceof RespError) throw new ValkeyAuthError(reply.code);
      if (this.#socket !== socket) throw new ValkeyUnavailableError("the connection to valkey was lost");
      this.#markUp();
    } catch (error) {
      this.#dropSocket(error instanceof ValkeyError ? error : new ValkeyUnavailableError(describe(error)));
      if (this.#isClosed()) return;
      this.#noteFailure(error);
      this.#scheduleRetry();
    }
  }

  /** A method, not an inline check, so TypeScript does not narrow the state across awaits. */
  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #markUp(): void {
    this.#state = "up";
    this.#retryDelayMs = this.#reconnect.initialMs;
    this.#lastError = null;
    if (!this.#everUp) this.#log.info("valkey connected", { name: this.name, socket: this.#socketPath });
    else this.#log.info("valkey back", { name: this.name });
    this.#everUp = true;
    this.#outageKind = null;
    for (const waiter of this.#upWaiters.splice(0)) waiter.resolve();
  }

  #noteFailure(error: unknown): void {
    this.#state = "down";
    if (error instanceof ValkeyAuthError) {
      this.#lastError = error;
      for (const waiter of this.#upWaiters.splice(0)) waiter.reject(error);
    } else {
      this.#lastError = new ValkeyUnavailableError(`valkey is unavailable (${failureReason(error)})`);
    }
    // One line when an outage starts, and one if its kind changes; never one per attempt.
    const kind = error instanceof ValkeyAuthError ? "auth" : "unavailable";
    if (kind === this.#outageKind) return;
    this.#outageKind = kind;
    if (error instanceof ValkeyAuthError) this.#log.error(error.message, { name: this.name });
    else this.#log.warn("valkey unavailable, retrying", { name: this.name, reason: failureReason(error) });
  }

  #scheduleRetry(): void {
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(delay * 2, this.#reconnect.maxMs);
    this.#retryTimer = setTimeout(() => void this.#attempt(), delay);
  }

  #send(args: readonly string[], timeoutMs: number): Promise<RespValue> {
    const socket = this.#socket;
    if (socket === null) return Promise.reject(this.#unavailable());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A reply that never comes would shift every later one onto the wrong
        // caller, so a silent server costs the whole connection.
        this.#connectionLost(
          socket,
          new ValkeyUnavailableError(`valkey did not answer within ${timeoutMs} ms`),
          "timeout",
        );
      }, timeoutMs);
      this.#pending.push({ resolve, reject, timer });
      this.#write(socket, encodeCommand(args));
    });
  }

  #write(socket: Socket, bytes: Uint8Array): void {
    if (this.#outbox.length > 0) {
      this.#outbox.push(bytes);
      return;
    }
    const written = socket.write(bytes);
    if (written < bytes.byteLength) this.#outbox.push(bytes.subarray(Math.max(written, 0)));
  }

  #onDrain(socket: Socket): void {
    while (socket === this.#socket && this.#outbox.length > 0) {
      const next = this.#outbox[0] as Uint8Array;
      const written = socket.write(next);
      if (written < next.byteLength) {
        this.#outbox[0] = next.subarray(Math.max(written, 0));
        return;
      }
      this.#outbox.shift();
    }
  }

  #onData(socket: Socket, chunk: Uint8Array): void {
    if (socket !== this.#socket) return;
    let replies: RespValue[];
    try {
      replies = this.#reader.push(chunk);
    } catch (error) {
      this.#connectionLost(socket, new ValkeyUnavailableError(describe(error)), "protocol error");
      return;
    }
    for (const reply of replies) {
      const pending = this.#pending.shift();
      if (pending === undefined) {
        this.#connectionLost(
          socket,
          new ValkeyUnavailableError("valkey sent an unrequested reply"),
          "protocol error",
        );
        return;
      }
      clearTimeout(pending.timer);
      pending.resolve(reply);
    }
  }

  #onSocketGone(socket: Socket): void {
    this.#connectionLost(
      socket,
      new ValkeyUnavailableError("the connection to valkey was lost"),
      "connection lost",
    );
  }

  /** The current socket died: fail its commands, and reconnect if it was up. */
  #connectionLost(socket: Socket, error: ValkeyError, reason: string): void {
    if (socket !== this.#socket) return;
    const wasUp = this.#state === "up";
    this.#dropSocket(error);
    if (!wasUp) return; // a connection attempt in progress handles its own failure
    this.#retryDelayMs = this.#reconnect.initialMs;
    this.#noteFailure(new ValkeyUnavailableError(reason));
    this.#scheduleRetry();
  }

  #dropSocket(error: ValkeyError): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#outbox = [];
    this.#reader.reset();
    for (const pending of this.#pending.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    socket?.end();
  }

  #unavailable(): ValkeyError {
    if (this.#state === "closed") return new ValkeyUnavailableError("the valkey connection is closed");
    return this.#lastError ?? new ValkeyUnavailableError("valkey is not connected");
  }
}

/** A short, password-free reason for a log line: an errno code, or the error's own words. */
function failureReason(error: unknown): string {
  if (error instanceof ValkeyAuthError) return `auth ${error.code}`;
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return describe(error);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
