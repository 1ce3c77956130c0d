#!/usr/bin/env bash
# Scrolling a 1,000,000-line run in Runbook's real main window: frame times
# (requestAnimationFrame deltas) through a scroll sweep and jumps, and the web
# process's memory. Drives the release build with tauri-driver under Xvfb.
# Writes bench/results/scroll.{json,md}.
#
#   bash bench/scroll.sh           a million lines
#   bash bench/scroll.sh --smoke   100,000 lines; written under bench/results/tmp/
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/..
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source=bench/desktop_lib.sh
source "$ROOT/bench/desktop_lib.sh"
cd "$ROOT"
ensure_setup

bench_begin scroll "$@"
command -v tauri-driver >/dev/null || die "no tauri-driver on PATH (scripts/setup.sh installs it)"
bun="$ROOT/node_modules/.bin/bun"

build_release_apps
start_xvfb
# The machine is shared: the record says how busy it was.
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"

step "scroll: a long run in Runbook's main window on $DISPLAY"
"$bun" "$ROOT/bench/scroll.ts" --app "$RUNBOOK_RELEASE" --sidecar "$SIDECAR_RELEASE" \
  --work "$work" --root "$ROOT" --json "$out_dir/scroll.json" --md "$out_dir/scroll.md" "${smoke_arg[@]}"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/scroll.json" "${out_dir#"$ROOT"/}/scroll.md"
