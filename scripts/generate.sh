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

# The Rust generators are tests that compare (or, with UPDATE_BINDINGS=1,
# write) their files: runbook's and the plugin's bindings_are_current, the
# plugin's config_schema_is_current, convoy-backchannel's
# typescript_protocol_is_current. One run over the default members, as
# `cargo test` builds them: run per package, cargo resolves each one's
# features apart (the plugin alone has specta without serde_json), and a cold
# CI built Tauri's whole graph once more for it. A filter that matches
# nothing passes in cargo, so the count is checked: a generator renamed or
# gone fails here.
RUST_GENERATORS=4
rust_generators() {
  local out ran
  out="$(cargo test --lib --quiet -- bindings_are_current config_schema_is_current typescript_protocol_is_current 2>&1)" ||
    { printf '%s\n' "$out"; return 1; }
  ran="$(printf '%s\n' "$out" | awk '/^test result: ok\./ { n += $4 } END { print n + 0 }')"
  [ "$ran" = "$RUST_GENERATORS" ] ||
    die "expected $RUST_GENERATORS Rust generator tests to run, ran $ran"
  echo "the $RUST_GENERATORS Rust generators ran"
}

if [ "${1:-}" = "--check" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  step "Checking the bindings against the Rust declarations"
  rust_generators
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
UPDATE_BINDINGS=1 rust_generators
step "Generating openapi.json and schema.d.ts"
bun "$ROOT/apps/runbook/sidecar/src/openapi.ts" "$OPENAPI"
openapi-typescript "$OPENAPI" --output "$SCHEMA" --silent
step "Generating docs/configuration.md"
bun "$ROOT/docs/config-reference.ts" "$CONFIG_REFERENCE"
