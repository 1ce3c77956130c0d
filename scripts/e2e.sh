#!/usr/bin/env bash
# Runs the real-webview tests: the debug app under Xvfb, driven through
# tauri-driver and WebKitWebDriver by WebdriverIO.
source "$(dirname "$0")/lib.sh"

[ -x "$APP_BIN" ] || die "no app at $APP_BIN: run scripts/build.sh first"

# The release path: the sidecar as one compiled executable, run by the same shell.
CONVOY_COMPILED_SIDECAR="$(bash "$ROOT/scripts/compile-sidecar.sh")"
export CONVOY_COMPILED_SIDECAR

# A private display unless there is one (a developer watching).
[ -n "${DISPLAY:-}" ] || start_xvfb

# Test files given as arguments, from the caller's directory; else every one.
files=()
for file in "$@"; do files+=("$(realpath "$file")"); done
cd "$ROOT/tests/e2e"
[ ${#files[@]} -gt 0 ] || files=(./*.test.mjs)
node --test --test-concurrency=1 --test-timeout=600000 "${files[@]}"
