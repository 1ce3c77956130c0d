#!/usr/bin/env bash
# Builds the UI and the debug app once; every test reuses this build.
source "$(dirname "$0")/lib.sh"

step "Building the UI"
npm run build --workspace @convoy/runbook-ui --silent

step "Building the shell (debug) into $CARGO_TARGET_DIR"
cargo build -p runbook
