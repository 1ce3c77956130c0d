-- Job templates, versioned: every edit is a new row of template_versions, and
-- a run names the version it ran. Deleting a template hides it (deleted_at);
-- its versions stay, so the runs that reference them still say what ran.
CREATE TABLE templates (
  id         TEXT PRIMARY KEY NOT NULL, -- UUIDv7, or a fixed id for the ones shipped with the app
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version    INTEGER NOT NULL CHECK (version >= 1), -- the current version
  deleted_at TEXT
) STRICT;

-- Serves the newest-first keyset pagination of GET /templates.
CREATE INDEX templates_created_at ON templates (created_at, id) WHERE deleted_at IS NULL;

-- `definition` is the template as the api takes it (name, description, command,
-- parameters, workingDirectory, env, timeoutSeconds, retries, concurrency), as JSON.
CREATE TABLE template_versions (
  template_id TEXT NOT NULL REFERENCES templates (id),
  version     INTEGER NOT NULL CHECK (version >= 1),
  created_at  TEXT NOT NULL,
  definition  TEXT NOT NULL CHECK (json_valid(definition)),
  PRIMARY KEY (template_id, version)
) STRICT, WITHOUT ROWID;

-- A run of a template: which version, and the values it was given (secret
-- parameters' values never: only their names, so a re-run can ask for them).
ALTER TABLE jobs ADD COLUMN template_id TEXT;
ALTER TABLE jobs ADD COLUMN template_version INTEGER;
ALTER TABLE jobs ADD COLUMN parameters TEXT CHECK (parameters IS NULL OR json_valid(parameters));
ALTER TABLE jobs ADD COLUMN secret_parameters TEXT CHECK (secret_parameters IS NULL OR json_valid(secret_parameters));
-- How the worker runs it: a working directory (null: the home directory), an
-- environment added to the job's (JSON object), a timeout in seconds.
ALTER TABLE jobs ADD COLUMN working_directory TEXT;
ALTER TABLE jobs ADD COLUMN environment TEXT CHECK (environment IS NULL OR json_valid(environment));
ALTER TABLE jobs ADD COLUMN timeout_seconds INTEGER CHECK (timeout_seconds IS NULL OR timeout_seconds > 0);

-- The templates shipped with the app.
INSERT INTO templates (id, created_at, updated_at, version) VALUES
  ('00000000-0000-7000-8000-000000000001', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1),
  ('00000000-0000-7000-8000-000000000002', '2026-01-01T00:00:00.001Z', '2026-01-01T00:00:00.001Z', 1),
  ('00000000-0000-7000-8000-000000000003', '2026-01-01T00:00:00.002Z', '2026-01-01T00:00:00.002Z', 1);
INSERT INTO template_versions (template_id, version, created_at, definition) VALUES
  ('00000000-0000-7000-8000-000000000001', 1, '2026-01-01T00:00:00.000Z', json('{
    "name": "Run a shell command in a directory",
    "description": "Runs a command line with sh -c in the directory given.",
    "command": "cd {{directory}} && sh -c {{command}}",
    "parameters": [
      {"name": "command", "type": "string", "description": "The command line", "required": true},
      {"name": "directory", "type": "path", "kind": "directory", "description": "Where to run it", "required": true, "default": "~"}
    ],
    "workingDirectory": null, "env": {}, "timeoutSeconds": null,
    "retries": {"count": 0, "delaySeconds": 0}, "concurrency": null
  }')),
  ('00000000-0000-7000-8000-000000000002', 1, '2026-01-01T00:00:00.001Z', json('{
    "name": "Disk usage of a directory",
    "description": "The size of each entry of a directory, largest first.",
    "command": "du -sh -- {{directory}}/* | sort -rh | head -n {{count}}",
    "parameters": [
      {"name": "directory", "type": "path", "kind": "directory", "description": "The directory", "required": true, "default": "~"},
      {"name": "count", "type": "number", "description": "How many entries to show", "required": true, "default": 20, "min": 1, "max": 1000, "integer": true}
    ],
    "workingDirectory": null, "env": {}, "timeoutSeconds": 600,
    "retries": {"count": 0, "delaySeconds": 0}, "concurrency": null
  }')),
  ('00000000-0000-7000-8000-000000000003', 1, '2026-01-01T00:00:00.002Z', json('{
    "name": "Ping a host N times",
    "description": "Sends N ICMP echo requests to a host.",
    "command": "ping -c {{count}} -- {{host}}",
    "parameters": [
      {"name": "host", "type": "string", "description": "A host name or address", "required": true, "pattern": "^[A-Za-z0-9.:-]+$"},
      {"name": "count", "type": "number", "description": "How many requests", "required": true, "default": 4, "min": 1, "max": 100, "integer": true}
    ],
    "workingDirectory": null, "env": {}, "timeoutSeconds": 300,
    "retries": {"count": 0, "delaySeconds": 0}, "concurrency": null
  }'));
