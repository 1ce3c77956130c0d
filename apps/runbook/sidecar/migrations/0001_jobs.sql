-- Every job submitted to Runbook, one row per submission.
-- Timestamps are ISO 8601 UTC strings, so they sort correctly as text.
CREATE TABLE jobs (
  id          TEXT PRIMARY KEY NOT NULL, -- UUIDv7: sorts by creation time
  name        TEXT NOT NULL,
  command     TEXT NOT NULL,
  status      TEXT NOT NULL
              CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  exit_code   INTEGER,
  created_at  TEXT NOT NULL,
  started_at  TEXT,
  finished_at TEXT
) STRICT;

-- Serves the newest-first keyset pagination of GET /jobs.
CREATE INDEX jobs_created_at ON jobs (created_at, id);
