#!/usr/bin/env bash
# Regenerates every generated file from its one source of truth:
#   Rust commands/events  -> apps/runbook/ui/src/lib/bindings.ts   (tauri-specta)
#   supervisor plugin     -> crates/tauri-plugin-convoy-supervisor/guest-js/bindings.ts
#   sidecar config types  -> crates/tauri-plugin-convoy-supervisor/config.schema.json (schemars)
#   back-channel protocol -> packages/sidecar-runtime/src/backchannel-protocol.ts
#   api zod schemas       -> apps/runbook/sidecar/openapi.json     (OpenAPI 3.1)
#   openapi.json          -> apps/runbook/ui/src/lib/api/schema.d.ts (openapi-typescript)
#   config.schema.json + Runbook's section -> docs/configuration.md (docs/config-reference.ts)
# With --check, regenerates into a temporary place and fails if anything committed differs.
source "$(dirname "$0")/lib.sh"

OPENAPI="$ROOT/apps/runbook/sidecar/openapi.json"
SCHEMA="$ROOT/apps/runbook/ui/src/lib/api/schema.d.ts"
CONFIG_REFERENCE="$ROOT/docs/configuration.md"

if [ "${1:-}" = "--check" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  step "Checking the bindings against the Rust declarations"
  cargo test -p runbook --lib bindings_are_current --quiet
  cargo test -p tauri-plugin-convoy-supervisor --lib bindings_are_current --quiet
  cargo test -p tauri-plugin-convoy-supervisor --lib config_schema_is_current --quiet
  cargo test -p convoy-backchannel --lib typescript_protocol_is_current --quiet
  step "Checking openapi.json and schema.d.ts against the api's schemas"
  bun "$ROOT/apps/runbook/sidecar/src/openapi.ts" "$tmp/openapi.json"
  openapi-typescript "$OPENAPI" --output "$tmp/schema.d.ts" --silent
  drift=0
  diff -u "$OPENAPI" "$tmp/openapi.json" || drift=1
  diff -u "$SCHEMA" "$tmp/schema.d.ts" || drift=1
  [ "$drift" -eq 0 ] || die "generated API files are out of date: run 'npm run generate' and commit the result"
  step "Checking docs/configuration.md against config.schema.json"
  bun "$ROOT/docs/config-reference.ts" "$tmp/configuration.md"
  diff -u "$CONFIG_REFERENCE" "$tmp/configuration.md" ||
    die "docs/configuration.md is out of date with config.schema.json or Runbook's tauri.conf.json: run 'npm run generate' and commit the result"
  # The generator's own tests: that it renders what the schema adds, so this diff can fail.
  (cd "$ROOT/docs" && bun test config-reference)
  echo "generated files are current"
  exit 0
fi

step "Generating the bindings"
UPDATE_BINDINGS=1 cargo test -p runbook --lib bindings_are_current --quiet
UPDATE_BINDINGS=1 cargo test -p tauri-plugin-convoy-supervisor --lib bindings_are_current --quiet
UPDATE_BINDINGS=1 cargo test -p tauri-plugin-convoy-supervisor --lib config_schema_is_current --quiet
UPDATE_BINDINGS=1 cargo test -p convoy-backchannel --lib typescript_protocol_is_current --quiet
step "Generating openapi.json and schema.d.ts"
bun "$ROOT/apps/runbook/sidecar/src/openapi.ts" "$OPENAPI"
openapi-typescript "$OPENAPI" --output "$SCHEMA" --silent
step "Generating docs/configuration.md"
bun "$ROOT/docs/config-reference.ts" "$CONFIG_REFERENCE"
