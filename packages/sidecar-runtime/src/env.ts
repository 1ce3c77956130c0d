/**
 * The environment contract between the Rust shell and a sidecar. Secrets come
 * through the environment, never argv; no error message ever quotes the token
 * or the Valkey password.
 */
import { mkdirSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Origins the Tauri webview uses on Linux/macOS and on Windows respectively. */
export const DEFAULT_APP_ORIGINS = ["tauri://localhost", "http://tauri.localhost"] as const;

export const MIN_TOKEN_LENGTH = 32;
export const MIN_VALKEY_PASSWORD_LENGTH = 32;

/**
 * The longest Unix socket path connect(2) accepts: sun_path is 108 bytes on
 * Linux and 104 on macOS, including the terminating NUL.
 */
export const MAX_UNIX_SOCKET_PATH_BYTES = process.platform === "darwin" ? 103 : 107;

/** What every role needs. */
export interface SidecarEnv {
  /** Absolute directory holding the database; it exists once read. */
  dataDir: string;
  /** Exit when the shell's end of our stdin closes. */
  stdinWatchdog: boolean;
}

/** What the `api` role needs on top. */
export interface ApiEnv extends SidecarEnv {
  port: number;
  token: string;
  /** Defaults plus `CONVOY_APP_ORIGINS`, without duplicates. */
  allowedOrigins: string[];
  /** Null when the shell runs the api without Valkey. */
  valkey: ValkeyEnv | null;
}

/** What the `worker` role needs on top. */
export interface WorkerEnv extends SidecarEnv {
  valkey: ValkeyEnv;
}

/** Where the shell's Valkey listens, and the per-launch password it requires. */
export interface ValkeyEnv {
  /** Absolute path of its Unix socket (it need not exist yet). */
  socket: string;
  password: string;
}

export class EnvError extends Error {
  override readonly name = "EnvError";

  constructor(
    /** The offending variable, for callers that want to point at it. */
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

export function readSidecarEnv(source: EnvSource = process.env): SidecarEnv {
  return {
    dataDir: readDataDir(source),
    stdinWatchdog: readWatchdogFlag(source),
  };
}

export function readApiEnv(source: EnvSource = process.env): ApiEnv {
  return {
    ...readSidecarEnv(source),
    port: readPort(source),
    token: readToken(source),
    allowedOrigins: readOrigins(source),
    valkey: readOptionalValkey(source),
  };
}

export function readWorkerEnv(source: EnvSource = process.env): WorkerEnv {
  return { ...readSidecarEnv(source), valkey: readValkey(source) };
}

function readDataDir(source: EnvSource): string {
  const name = "CONVOY_DATA_DIR";
  const dir = source[name];
  if (!dir) throw new EnvError(name, "is required");
  // A relative path would silently depend on whatever cwd the shell used.
  if (!isAbsolute(dir)) throw new EnvError(name, `must be an absolute path (got ${JSON.stringify(dir)})`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new EnvError(name, `could not be created: ${describe(error)}`);
  }
  if (!statSync(dir).isDirectory()) throw new EnvError(name, `is not a directory: ${dir}`);
  return dir;
}

function readWatchdogFlag(source: EnvSource): boolean {
  const name = "CONVOY_STDIN_WATCHDOG";
  const value = source[name];
  if (value === undefined || value === "" || value === "0") return false;
  if (value === "1") return true;
  throw new EnvError(name, `must be "1" or "0" (got ${JSON.stringify(value)})`);
}

function readPort(source: EnvSource): number {
  const name = "CONVOY_API_PORT";
  const value = source[name];
  if (!value) throw new EnvError(name, "is required");
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new EnvError(name, `must be an integer from 1 to 65535 (got ${JSON.stringify(value)})`);
  }
  return port;
}

function readToken(source: EnvSource): string {
  const name = "CONVOY_API_TOKEN";
  const token = source[name];
  // Deliberately says nothing about the value, not even its length.
  if (!token) throw new EnvError(name, "is required");
  if (token.length < MIN_TOKEN_LENGTH)
    throw new EnvError(name, `must be at least ${MIN_TOKEN_LENGTH} characters`);
  if (/\s/.test(token)) throw new EnvError(name, "must not contain whitespace");
  return token;
}

const VALKEY_SOCKET = "CONVOY_VALKEY_SOCKET";
const VALKEY_PASSWORD = "CONVOY_VALKEY_PASSWORD";

function readOptionalValkey(source: EnvSource): ValkeyEnv | null {
  if (source[VALKEY_SOCKET]) return readValkey(source);
  // A password with nowhere to use it means the shell and this code disagree.
  if (source[VALKEY_PASSWORD])
    throw new EnvError(VALKEY_SOCKET, `is required when ${VALKEY_PASSWORD} is set`);
  return null;
}

function readValkey(source: EnvSource): ValkeyEnv {
  const socket = source[VALKEY_SOCKET];
  if (!socket) throw new EnvError(VALKEY_SOCKET, "is required");
  if (!isAbsolute(socket)) {
    throw new EnvError(VALKEY_SOCKET, `must be an absolute path (got ${JSON.stringify(socket)})`);
  }
  if (Buffer.byteLength(socket) > MAX_UNIX_SOCKET_PATH_BYTES) {
    throw new EnvError(
      VALKEY_SOCKET,
      `must be at most ${MAX_UNIX_SOCKET_PATH_BYTES} bytes (a Unix socket path limit)`,
    );
  }
  return { socket, password: readValkeyPassword(source) };
}

function readValkeyPassword(source: EnvSource): string {
  const password = source[VALKEY_PASSWORD];
  // Like the token: nothing about the value, not even its length.
  if (!password) throw new EnvError(VALKEY_PASSWORD, `is required when ${VALKEY_SOCKET} is set`);
  if (password.length < MIN_VALKEY_PASSWORD_LENGTH) {
    throw new EnvError(VALKEY_PASSWORD, `must be at least ${MIN_VALKEY_PASSWORD_LENGTH} characters`);
  }
  if (/\s/.test(password)) throw new EnvError(VALKEY_PASSWORD, "must not contain whitespace");
  return password;
}

function readOrigins(source: EnvSource): string[] {
  const name = "CONVOY_APP_ORIGINS";
  const extra = (source[name] ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
  for (const origin of extra) {
    // scheme://host[:port] and nothing else: Origin headers never carry a path,
    // and "*" or "null" would defeat the check entirely.
    if (!/^[a-z][a-z0-9+.-]*:\/\/[^\s/?#*]+$/i.test(origin)) {
      throw new EnvError(
        name,
        `has an invalid origin ${JSON.stringify(origin)} (expected scheme://host[:port])`,
      );
    }
  }
  return [...new Set<string>([...DEFAULT_APP_ORIGINS, ...extra])];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
