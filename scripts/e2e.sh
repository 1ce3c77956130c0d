#!/usr/bin/env bash
# Runs the real-webview tests: the debug app under Xvfb, driven through
# tauri-driver and WebKitWebDriver by WebdriverIO.
source "$(dirname "$0")/lib.sh"

[ -x "$APP_BIN" ] || die "no app at $APP_BIN: run scripts/build.sh first"

# The release path: the sidecar as one compiled executable, run by the same shell.
CONVOY_COMPILED_SIDECAR="$(bash "$ROOT/scripts/compile-sidecar.sh")"
export CONVOY_COMPILED_SIDECAR

xvfb_pid=""
if [ -z "${DISPLAY:-}" ]; then
  display=":$((90 + RANDOM % 100))"
  Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb_pid=$!
  export DISPLAY="$display"
  for _ in $(seq 50); do
    xdpyinfo -display "$display" >/dev/null 2>&1 && break
    [ -e "/tmp/.X11-unix/X${display#:}" ] && break
    sleep 0.1
  done
fi
cleanup() { [ -z "$xvfb_pid" ] || kill "$xvfb_pid" 2>/dev/null || true; }
trap cleanup EXIT

# Test files given as arguments, from the caller's directory; else every one.
files=()
for file in "$@"; do files+=("$(realpath "$file")"); done
cd "$ROOT/tests/e2e"
[ ${#files[@]} -gt 0 ] || files=(./*.test.mjs)
node --test --test-concurrency=1 --test-timeout=600000 "${files[@]}"
