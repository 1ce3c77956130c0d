/**
 * Runbook's migrations, in order. Imported as text so the compiled sidecar
 * carries them; add a file to ../../migrations and a line here.
 */
import jobs from "../../migrations/0001_jobs.sql" with { type: "text" };
import jobRuns from "../../migrations/0002_job_runs.sql" with { type: "text" };
import jobOutput from "../../migrations/0003_job_output.sql" with { type: "text" };
import outputLimits from "../../migrations/0004_output_limits.sql" with { type: "text" };
import templates from "../../migrations/0005_templates.sql" with { type: "text" };
import attempts from "../../migrations/0006_attempts.sql" with { type: "text" };
import failure from "../../migrations/0007_failure.sql" with { type: "text" };
import statusLine from "../../migrations/0008_status_line.sql" with { type: "text" };
import lines from "../../migrations/0009_lines.sql" with { type: "text" };
import type { Migration } from "./migrator.ts";

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, file: "0001_jobs.sql", sql: jobs },
  { version: 2, file: "0002_job_runs.sql", sql: jobRuns },
  { version: 3, file: "0003_job_output.sql", sql: jobOutput },
  { version: 4, file: "0004_output_limits.sql", sql: outputLimits },
  { version: 5, file: "0005_templates.sql", sql: templates },
  { version: 6, file: "0006_attempts.sql", sql: attempts },
  { version: 7, file: "0007_failure.sql", sql: failure },
  { version: 8, file: "0008_status_line.sql", sql: statusLine },
  { version: 9, file: "0009_lines.sql", sql: lines },
];
