-- A template's retries and concurrency limit, as each run took them from its
-- template version: a failed run with retries left is followed by a new job
-- (the next attempt, not before the delay); a template's runs beyond its limit
-- wait, in order, until one of its runs ends.

-- 1 for the first run; each retry is the next. `retry_of` is the first attempt's id.
ALTER TABLE jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1);
ALTER TABLE jobs ADD COLUMN retry_of TEXT;
-- How many retries the run may have in all, and the pause before each.
ALTER TABLE jobs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0);
ALTER TABLE jobs ADD COLUMN retry_delay_seconds INTEGER NOT NULL DEFAULT 0 CHECK (retry_delay_seconds >= 0);
-- Not sent to the worker before this time (a retry's delay); null: at once.
ALTER TABLE jobs ADD COLUMN not_before TEXT;
-- Most runs of its template at once; null: no limit of its own.
ALTER TABLE jobs ADD COLUMN concurrency_limit INTEGER CHECK (concurrency_limit IS NULL OR concurrency_limit >= 1);

-- Serves counting a template's runs that are sent or running.
CREATE INDEX jobs_template_active ON jobs (template_id) WHERE status IN ('queued', 'running');
