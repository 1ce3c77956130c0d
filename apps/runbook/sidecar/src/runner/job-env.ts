/**
 * The environment a job runs with: the worker's, minus every secret. Every
 * `CONVOY_*` variable is the shell's business (the Valkey password, tokens,
 * sockets), except `CONVOY_LAUNCH_ID`, which marks the job as this launch's
 * so the shell can sweep it up after a crash.
 */
import type { EnvSource } from "@convoy/sidecar-runtime";

export const JOB_ID_VARIABLE = "RUNBOOK_JOB_ID";
const KEPT_CONVOY_VARIABLES = new Set(["CONVOY_LAUNCH_ID"]);

export function jobEnvironment(worker: EnvSource, jobId: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(worker)) {
    if (value === undefined) continue;
    if (name.startsWith("CONVOY_") && !KEPT_CONVOY_VARIABLES.has(name)) continue;
    env[name] = value;
  }
  env[JOB_ID_VARIABLE] = jobId;
  return env;
}
