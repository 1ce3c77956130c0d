-- Every job's output, kept by the api. Valkey carries output live and holds
-- only its recent part; the api copies each job's stream here as it grows,
-- so the history is whole, survives Valkey, and is read from here.

-- One entry of the job's Valkey stream. `entry` is the stream id with both
-- halves zero-padded to 20 digits, so text order is stream order and a
-- reader's cursor means the same entry here and in Valkey.
CREATE TABLE job_output (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  entry  TEXT NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
  text   TEXT NOT NULL,
  PRIMARY KEY (job_id, entry)
) STRICT, WITHOUT ROWID;

-- The last stream entry copied (the padded form above); '' before the first.
ALTER TABLE jobs ADD COLUMN output_copied TEXT NOT NULL DEFAULT '';
-- 1 once every entry is copied: the job has ended and its stream holds nothing more.
ALTER TABLE jobs ADD COLUMN output_complete INTEGER NOT NULL DEFAULT 0 CHECK (output_complete IN (0, 1));

-- Serves the copier's search for jobs whose output is still being written.
CREATE INDEX jobs_output_incomplete ON jobs (created_at, id) WHERE output_complete = 0;
