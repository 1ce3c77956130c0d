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
  /** Null when there is no shell to call back (the api run on its own). */
  backchannel: BackchannelEnv | null;
}

/** Where the shell's back-channel listens, and the per-launch token it requires. */
export interface BackchannelEnv {
  socket: string;
  token: string;
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
    backchannel: readOptionalBackchannel(source),
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

/** A Unix socket and the secret that opens it, passed as two variables. */
interface SocketSecretVars {
  socket: string;
  secret: string;
  minSecretLength: number;
}

const VALKEY_VARS: SocketSecretVars = {
  socket: "CONVOY_VALKEY_SOCKET",
  secret: "CONVOY_VALKEY_PASSWORD",
  minSecretLength: MIN_VALKEY_PASSWORD_LENGTH,
};

const BACKCHANNEL_VARS: SocketSecretVars = {
  socket: "CONVOY_BACKCHANNEL_SOCKET",
  secret: "CONVOY_BACKCHANNEL_TOKEN",
  minSecretLength: MIN_TOKEN_LENGTH,
};

function readOptionalValkey(source: EnvSource): ValkeyEnv | null {
  const pair = readOptionalSocketSecret(source, VALKEY_VARS);
  return pair && { socket: pair.socket, password: pair.secret };
}

function readValkey(source: EnvSource): ValkeyEnv {
  const { socket, secret } = readSocketSecret(source, VALKEY_VARS);
  return { socket, password: secret };
}

function readOptionalBackchannel(source: EnvSource): BackchannelEnv | null {
  const pair = readOptionalSocketSecret(source, BACKCHANNEL_VARS);
  return pair && { socket: pair.socket, token: pair.secret };
}

function readOptionalSocketSecret(
  source: EnvSource,
  vars: SocketSecretVars,
): { socket: string; secret: string } | null {
  if (source[vars.socket]) return readSocketSecret(source, vars);
  // A secret with nowhere to use it means the shell and this code disagree.
  if (source[vars.secret]) throw new EnvError(vars.socket, `is required when ${vars.secret} is set`);
  return null;
}

function readSocketSecret(source: EnvSource, vars: SocketSecretVars): { socket: string; secret: string } {
  const socket = source[vars.socket];
  if (!socket) throw new EnvError(vars.socket, "is required");
  if (!isAbsolute(socket)) {
    throw new EnvError(vars.socket, `must be an absolute path (got ${JSON.stringify(socket)})`);
  }
  if (Buffer.byteLength(socket) > MAX_UNIX_SOCKET_PATH_BYTES) {
    throw new EnvError(
      vars.socket,
      `must be at most ${MAX_UNIX_SOCKET_PATH_BYTES} bytes (a Unix socket path limit)`,
    );
  }
  const secret = source[vars.secret];
  // Like the token: nothing about the value, not even its length.
  if (!secret) throw new EnvError(vars.secret, `is required when ${vars.socket} is set`);
  if (secret.length < vars.minSecretLength) {
    throw new EnvError(vars.secret, `must be at least ${vars.minSecretLength} characters`);
  }
  if (/\s/.test(secret)) throw new EnvError(vars.secret, "must not contain whitespace");
  return { socket, secret };
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
