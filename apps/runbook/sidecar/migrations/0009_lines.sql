-- A line index over every job's output, with a full-text index over the
-- lines, and indexes for the filters of GET /jobs and GET /search.
--
-- The copier splits the chunks it copies into lines (output-store.ts): a line
-- ends at "\n" (a "\r" before it is dropped); a line not ended yet waits in
-- job_line_tails, one per stream, until the rest arrives or the job ends.
-- Chunks stay in job_output: GET /jobs/{id}/output serves them by stream id.

-- The job's number in creation order: orders GET /search newest first and
-- keys its lines in the full-text index (rowid = seq * 2^28 + n; a run keeps
-- at most 64 MiB of output, so fewer than 2^28 lines).
ALTER TABLE jobs ADD COLUMN seq INTEGER CHECK (seq IS NULL OR seq >= 1);
UPDATE jobs SET seq = ranked.k
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS k FROM jobs) AS ranked
  WHERE jobs.id = ranked.id;
CREATE UNIQUE INDEX jobs_seq ON jobs (seq);

-- Lines stored so far (the next line's n).
ALTER TABLE jobs ADD COLUMN line_count INTEGER NOT NULL DEFAULT 0 CHECK (line_count >= 0);
-- 1 while the job's copied chunks are not all split into lines yet: runs
-- copied before this migration. The api splits them in the background, in
-- bounded batches, through the same code as new output (SQL cannot split
-- across chunks and streams the way the copier does); meanwhile new chunks of
-- theirs are only stored, and split in their turn. `lines_split` is the last
-- chunk split (the entry's stored form); '' before the first.
ALTER TABLE jobs ADD COLUMN lines_pending INTEGER NOT NULL DEFAULT 0 CHECK (lines_pending IN (0, 1));
ALTER TABLE jobs ADD COLUMN lines_split TEXT NOT NULL DEFAULT '';
UPDATE jobs SET lines_pending = 1 WHERE EXISTS (SELECT 1 FROM job_output WHERE job_output.job_id = jobs.id);
CREATE INDEX jobs_lines_pending ON jobs (created_at, id) WHERE lines_pending = 1;

-- One line of a job's output, n from 0 in the order lines ended: its text
-- without its ending, or, for a line longer than 64 Ki characters, its first
-- 64 Ki (at least the 64 KiB served of it; the whole line stays in
-- job_output). `bytes` is the whole line's UTF-8 length.
CREATE TABLE job_lines (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  n      INTEGER NOT NULL CHECK (n >= 0),
  stream TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
  text   TEXT NOT NULL,
  bytes  INTEGER NOT NULL CHECK (bytes >= 0),
  PRIMARY KEY (job_id, n)
) STRICT, WITHOUT ROWID;

-- The unended line of each of a job's streams, while the job runs: its head
-- (as job_lines.text), its length so far in characters and UTF-8 bytes, and
-- whether it ends in "\r" (dropped when "\n" follows).
CREATE TABLE job_line_tails (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  stream TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
  head   TEXT NOT NULL,
  chars  INTEGER NOT NULL CHECK (chars >= 0),
  bytes  INTEGER NOT NULL CHECK (bytes >= 0),
  cr     INTEGER NOT NULL CHECK (cr IN (0, 1)),
  PRIMARY KEY (job_id, stream)
) STRICT, WITHOUT ROWID;

-- Words of every line, keyed seq * 2^28 + n: contentless (the text is
-- job_lines'), so the index keeps no copy of it; unicode61 folds case and diacritics and splits on punctuation,
-- so paths and key=value pairs are found word by word, and phrases in order.
CREATE VIRTUAL TABLE job_lines_fts USING fts5(
  text,
  content = '',
  contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- The copier adds each line's words itself (CSI escape sequences read as
-- spaces, so a coloured word is a word); deleting a line deletes its words.
CREATE TRIGGER job_lines_fts_delete AFTER DELETE ON job_lines BEGIN
  DELETE FROM job_lines_fts WHERE rowid = (SELECT seq FROM jobs WHERE id = old.job_id) * 268435456 + old.n;
END;

-- The filters of GET /jobs and GET /search, each newest first.
CREATE INDEX jobs_template_created ON jobs (template_id, created_at, id) WHERE template_id IS NOT NULL;
CREATE INDEX jobs_status_created ON jobs (status, created_at, id);
