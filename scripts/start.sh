#!/usr/bin/env bash
# `npm start`: sets up what is missing, builds, and runs Runbook.
source "$(dirname "$0")/lib.sh"

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat >&2 <<MSG
Runbook is built, but there is no display to show it on (DISPLAY and WAYLAND_DISPLAY are unset).
Run it under a virtual X server instead:

  xvfb-run -a npm start

or start one yourself: Xvfb :99 & DISPLAY=:99 npm start
MSG
  exit 1
fi

step "Starting Runbook"
exec "$APP_BIN" "$@"
