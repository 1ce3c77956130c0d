import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvError, readApiEnv, readSidecarEnv } from "../src/env.ts";

const TOKEN = "t0ken-".repeat(8);
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
