#!/usr/bin/env bash
# Builds the UIs and the debug apps (Runbook and the FastAPI example) once;
# every test reuses this build.
source "$(dirname "$0")/lib.sh"

step "Building the UI"
npm run build --workspace @convoy/runbook-ui --silent

step "Building the FastAPI example's UI"
vite build --logLevel warn "$ROOT/examples/fastapi-valkey/ui"

step "Building the shells (debug) into $CARGO_TARGET_DIR"
cargo build -p runbook -p fastapi-valkey
