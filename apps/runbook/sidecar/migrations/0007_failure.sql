-- Why a failed run failed when its exit code does not say, as a stable code
-- clients switch on (the reason beside it is for people).
ALTER TABLE jobs ADD COLUMN failure TEXT
  CHECK (failure IS NULL OR failure IN ('working-directory-missing', 'spawn-failed', 'timed-out', 'secrets-unavailable'));
