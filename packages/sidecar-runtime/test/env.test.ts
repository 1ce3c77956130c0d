import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EnvError,
  MAX_UNIX_SOCKET_PATH_BYTES,
  readApiEnv,
  readSidecarEnv,
  readWorkerEnv,
} from "../src/env.ts";

const TOKEN = "t0ken-".repeat(8);
const VALKEY_PASSWORD = "v4lkey-".repeat(6);
const VALKEY_SOCKET = "/run/user/1000/convoy-x/valkey.sock";
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "convoy-env-"));
  tempDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function envError(read: () => unknown): EnvError {
  try {
    read();
  } catch (error) {
    if (error instanceof EnvError) return error;
    throw error;
  }
  throw new Error("expected an EnvError");
}

describe("readSidecarEnv", () => {
  test("creates a missing data directory", () => {
    const dataDir = join(tempDir(), "nested", "data");
    const env = readSidecarEnv({ CONVOY_DATA_DIR: dataDir });
    expect(env).toEqual({ dataDir, stdinWatchdog: false });
    expect(statSync(dataDir).isDirectory()).toBe(true);
  });

  test("requires an absolute CONVOY_DATA_DIR", () => {
    expect(envError(() => readSidecarEnv({})).variable).toBe("CONVOY_DATA_DIR");
    const relative = envError(() => readSidecarEnv({ CONVOY_DATA_DIR: "data" }));
    expect(relative.message).toContain("must be an absolute path");
    expect(existsSync("data")).toBe(false);
  });

  test("rejects a data directory that is a file", () => {
    const file = join(tempDir(), "file");
    writeFileSync(file, "");
    expect(envError(() => readSidecarEnv({ CONVOY_DATA_DIR: file })).variable).toBe("CONVOY_DATA_DIR");
  });

  test("reads the watchdog flag strictly", () => {
    const dataDir = tempDir();
    expect(readSidecarEnv({ CONVOY_DATA_DIR: dataDir, CONVOY_STDIN_WATCHDOG: "1" }).stdinWatchdog).toBe(true);
    expect(readSidecarEnv({ CONVOY_DATA_DIR: dataDir, CONVOY_STDIN_WATCHDOG: "0" }).stdinWatchdog).toBe(
      false,
    );
    const error = envError(() =>
      readSidecarEnv({
        CONVOY_DATA_DIR: dataDir,
        CONVOY_STDIN_WATCHDOG: "yes",
      }),
    );
    expect(error.variable).toBe("CONVOY_STDIN_WATCHDOG");
  });
});

describe("readApiEnv", () => {
  const valid = () => ({
    CONVOY_DATA_DIR: tempDir(),
    CONVOY_API_PORT: "4123",
    CONVOY_API_TOKEN: TOKEN,
  });

  test("reads a complete api environment with the default origins", () => {
    const env = readApiEnv(valid());
    expect(env.port).toBe(4123);
    expect(env.token).toBe(TOKEN);
    expect(env.allowedOrigins).toEqual(["tauri://localhost", "http://tauri.localhost"]);
  });

  test("adds extra origins from CONVOY_APP_ORIGINS, trimmed and deduplicated", () => {
    const env = readApiEnv({
      ...valid(),
      CONVOY_APP_ORIGINS: " http://localhost:5173 ,tauri://localhost,,",
    });
    expect(env.allowedOrigins).toEqual([
      "tauri://localhost",
      "http://tauri.localhost",
      "http://localhost:5173",
    ]);
  });

  test.each(["*", "null", "http://localhost:5173/", "localhost:5173"])("rejects the origin %p", (origin) => {
    expect(envError(() => readApiEnv({ ...valid(), CONVOY_APP_ORIGINS: origin })).variable).toBe(
      "CONVOY_APP_ORIGINS",
    );
  });

  test.each(["", "0", "65536", "12.5", "-1", "80a", " 80"])("rejects the port %p", (port) => {
    expect(envError(() => readApiEnv({ ...valid(), CONVOY_API_PORT: port })).variable).toBe(
      "CONVOY_API_PORT",
    );
  });

  test("accepts the extreme ports", () => {
    expect(readApiEnv({ ...valid(), CONVOY_API_PORT: "1" }).port).toBe(1);
    expect(readApiEnv({ ...valid(), CONVOY_API_PORT: "65535" }).port).toBe(65535);
  });

  test("rejects a short token without ever quoting it", () => {
    const shortToken = "s3cr3t-but-short";
    const error = envError(() => readApiEnv({ ...valid(), CONVOY_API_TOKEN: shortToken }));
    expect(error.variable).toBe("CONVOY_API_TOKEN");
    expect(error.message).toBe("CONVOY_API_TOKEN must be at least 32 characters");
    expect(error.message).not.toContain(shortToken);
  });

  test("requires the token", () => {
    const { CONVOY_API_TOKEN: _, ...withoutToken } = valid();
    expect(envError(() => readApiEnv(withoutToken)).message).toBe("CONVOY_API_TOKEN is required");
  });

  test("runs without Valkey when CONVOY_VALKEY_SOCKET is absent or empty", () => {
    expect(readApiEnv(valid()).valkey).toBeNull();
    expect(readApiEnv({ ...valid(), CONVOY_VALKEY_SOCKET: "" }).valkey).toBeNull();
  });

  test("reads the Valkey socket and password when given", () => {
    const env = readApiEnv({
      ...valid(),
      CONVOY_VALKEY_SOCKET: VALKEY_SOCKET,
      CONVOY_VALKEY_PASSWORD: VALKEY_PASSWORD,
    });
    expect(env.valkey).toEqual({ socket: VALKEY_SOCKET, password: VALKEY_PASSWORD });
  });

  test("a Valkey password without a socket is an error", () => {
    const error = envError(() => readApiEnv({ ...valid(), CONVOY_VALKEY_PASSWORD: VALKEY_PASSWORD }));
    expect(error.message).toBe("CONVOY_VALKEY_SOCKET is required when CONVOY_VALKEY_PASSWORD is set");
  });

  test("a Valkey socket without a password is an error", () => {
    const error = envError(() => readApiEnv({ ...valid(), CONVOY_VALKEY_SOCKET: VALKEY_SOCKET }));
    expect(error.message).toBe("CONVOY_VALKEY_PASSWORD is required when CONVOY_VALKEY_SOCKET is set");
  });

  test("no error message contains the token", () => {
    for (const broken of [
      { CONVOY_API_PORT: "x" },
      { CONVOY_APP_ORIGINS: "*" },
      { CONVOY_DATA_DIR: "rel" },
    ]) {
      expect(envError(() => readApiEnv({ ...valid(), ...broken })).message).not.toContain(TOKEN);
    }
  });
});

describe("readWorkerEnv", () => {
  const valid = () => ({
    CONVOY_DATA_DIR: tempDir(),
    CONVOY_VALKEY_SOCKET: VALKEY_SOCKET,
    CONVOY_VALKEY_PASSWORD: VALKEY_PASSWORD,
  });

  test("reads a complete worker environment", () => {
    const env = readWorkerEnv({ ...valid(), CONVOY_STDIN_WATCHDOG: "1" });
    expect(env.valkey).toEqual({ socket: VALKEY_SOCKET, password: VALKEY_PASSWORD });
    expect(env.stdinWatchdog).toBe(true);
  });

  test("needs no api variables", () => {
    expect(() => readWorkerEnv(valid())).not.toThrow();
  });

  test("requires the socket", () => {
    const { CONVOY_VALKEY_SOCKET: _, ...withoutSocket } = valid();
    expect(envError(() => readWorkerEnv(withoutSocket)).message).toBe("CONVOY_VALKEY_SOCKET is required");
    expect(envError(() => readWorkerEnv({ ...valid(), CONVOY_VALKEY_SOCKET: "" })).variable).toBe(
      "CONVOY_VALKEY_SOCKET",
    );
  });

  test("requires an absolute socket path that fits in sun_path", () => {
    const relative = envError(() => readWorkerEnv({ ...valid(), CONVOY_VALKEY_SOCKET: "valkey.sock" }));
    expect(relative.message).toBe('CONVOY_VALKEY_SOCKET must be an absolute path (got "valkey.sock")');

    const fits = `/${"s".repeat(MAX_UNIX_SOCKET_PATH_BYTES - 1)}`;
    expect(readWorkerEnv({ ...valid(), CONVOY_VALKEY_SOCKET: fits }).valkey.socket).toBe(fits);
    const tooLong = envError(() => readWorkerEnv({ ...valid(), CONVOY_VALKEY_SOCKET: `${fits}s` }));
    expect(tooLong.message).toBe(
      `CONVOY_VALKEY_SOCKET must be at most ${MAX_UNIX_SOCKET_PATH_BYTES} bytes (a Unix socket path limit)`,
    );
  });

  test("requires the password", () => {
    const { CONVOY_VALKEY_PASSWORD: _, ...withoutPassword } = valid();
    expect(envError(() => readWorkerEnv(withoutPassword)).message).toBe(
      "CONVOY_VALKEY_PASSWORD is required when CONVOY_VALKEY_SOCKET is set",
    );
  });

  test("rejects a short password or one with whitespace without ever quoting it", () => {
    const short = "short-valkey-secret";
    const shortError = envError(() => readWorkerEnv({ ...valid(), CONVOY_VALKEY_PASSWORD: short }));
    expect(shortError.message).toBe("CONVOY_VALKEY_PASSWORD must be at least 32 characters");

    const spaced = `${"p".repeat(20)} ${"q".repeat(20)}`;
    const spacedError = envError(() => readWorkerEnv({ ...valid(), CONVOY_VALKEY_PASSWORD: spaced }));
    expect(spacedError.message).toBe("CONVOY_VALKEY_PASSWORD must not contain whitespace");
    expect(spacedError.message).not.toContain("p".repeat(20));
  });

  test("no error message contains the password", () => {
    for (const broken of [
      { CONVOY_VALKEY_SOCKET: "relative" },
      { CONVOY_DATA_DIR: "rel" },
      { CONVOY_STDIN_WATCHDOG: "yes" },
    ]) {
      expect(envError(() => readWorkerEnv({ ...valid(), ...broken })).message).not.toContain(VALKEY_PASSWORD);
    }
  });
});
