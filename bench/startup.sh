#!/usr/bin/env bash
# The start-up benchmark: launch → Runbook's main window showing data from the
# api, against launch → an empty Tauri app's DOMContentLoaded, each measured
# and reported by the app itself; release builds under Xvfb, taking turns.
# Writes bench/results/startup.{json,md}.
#
#   bash bench/startup.sh           10 launches of each (about two minutes once built)
#   bash bench/startup.sh --smoke   one launch of each; written under bench/results/tmp/
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

bench_begin startup "$@"
if [ "$smoke" -eq 1 ]; then runs=1 profile_runs=1; else runs=10 profile_runs=3; fi

build_release_apps
start_xvfb
# The machine is shared: the record says how busy it was.
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"
# When the measuring started (the record's date).
date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$work/recorded-at"

step "start-up: $runs launches of each app on $DISPLAY, then $profile_runs profiled launches of each"
bun "$ROOT/bench/startup.ts" --runbook "$RUNBOOK_RELEASE" --empty "$EMPTY_RELEASE" \
  --sidecar "$SIDECAR_RELEASE" --display "$DISPLAY" --runs "$runs" --profile-runs "$profile_runs" \
  --work "$work" --root "$ROOT" --json "$out_dir/startup.json" --md "$out_dir/startup.md" \
  "${smoke_arg[@]}"
cat "$out_dir/startup.md"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/startup.json" "${out_dir#"$ROOT"/}/startup.md"
