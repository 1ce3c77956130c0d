/**
 * The api role as the shell starts it, for tests over real HTTP: migrate
 * first, then `api` on a free loopback port, without Valkey.
 */
import { expect } from "bun:test";
import { freePort } from "@convoy/testing";
import type { Sidecar, Sidecars } from "./sidecar-process.ts";

export const API_START_TIMEOUT_MS = 20_000;

export interface ApiProcess {
  api: Sidecar;
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
}

/** Migrates `dataDir` and starts the api on it; resolves once it printed its ready line. */
export async function startApiProcess(
  sidecars: Sidecars,
  dataDir: string,
  token: string,
): Promise<ApiProcess> {
  const migrated = await sidecars.run(["migrate"], { CONVOY_DATA_DIR: dataDir });
  expect(migrated.exitCode).toBe(0);
  const port = await freePort();
  const api = sidecars.start(["api"], {
    CONVOY_DATA_DIR: dataDir,
    CONVOY_API_PORT: String(port),
    CONVOY_API_TOKEN: token,
  });
  await api.stdout.waitFor(/^convoy:ready port=\d+\n/m, API_START_TIMEOUT_MS);
  return { api, port, base: `http://127.0.0.1:${port}` };
}
