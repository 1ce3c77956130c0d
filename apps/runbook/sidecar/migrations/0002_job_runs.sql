-- Running jobs: the worker's progress and why a job ended as it did, whether
-- the job reached the queue, and where the api is in the worker's events.

-- 0 to 100, as the job last reported it; null until it reports any.
ALTER TABLE jobs ADD COLUMN progress REAL CHECK (progress IS NULL OR (progress >= 0 AND progress <= 100));
-- Why the job ended (e.g. "killed by SIGKILL"), when its status alone does not say.
ALTER TABLE jobs ADD COLUMN reason TEXT;
-- 1 once the job is in Valkey's queue; queued jobs at 0 are (re)sent when Valkey is up.
ALTER TABLE jobs ADD COLUMN enqueued INTEGER NOT NULL DEFAULT 0 CHECK (enqueued IN (0, 1));

-- Serves the dispatcher's search for queued jobs not yet sent.
CREATE INDEX jobs_unsent ON jobs (created_at, id) WHERE status = 'queued' AND enqueued = 0;

-- Small named values the api keeps between runs (e.g. its cursor in the worker's events).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT;
