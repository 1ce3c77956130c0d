-- What bounds the output kept: each run's cap (the worker drops and counts
-- what exceeds it) and retention by age and total size (the api prunes the
-- oldest ended runs).

-- Bytes of output past the run's cap, dropped by the worker; known once the run ended.
ALTER TABLE jobs ADD COLUMN output_dropped_bytes INTEGER NOT NULL DEFAULT 0 CHECK (output_dropped_bytes >= 0);
-- UTF-8 bytes of the job's rows in job_output, kept by the copier: retention by size sums these.
ALTER TABLE jobs ADD COLUMN output_bytes INTEGER NOT NULL DEFAULT 0 CHECK (output_bytes >= 0);
UPDATE jobs SET output_bytes = (
  SELECT coalesce(sum(length(CAST(text AS BLOB))), 0) FROM job_output WHERE job_output.job_id = jobs.id
);

-- Serves retention's search for the oldest ended runs.
CREATE INDEX jobs_ended ON jobs (finished_at, id)
  WHERE status IN ('succeeded', 'failed', 'cancelled', 'interrupted');
