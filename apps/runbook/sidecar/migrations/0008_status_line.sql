-- What a running job last reported besides its percentage (queue.ts, control
-- lines): the steps of `::progress::3/8`, and the text of `::status::…`.
-- Named status_line, as `status` is the job's state.
ALTER TABLE jobs ADD COLUMN progress_done INTEGER CHECK (progress_done IS NULL OR progress_done >= 0);
ALTER TABLE jobs ADD COLUMN progress_total INTEGER CHECK (progress_total IS NULL OR progress_total >= 1);
ALTER TABLE jobs ADD COLUMN status_line TEXT;
