#!/usr/bin/env bash
# The memory benchmark: Pss summed over every process of Runbook (shell, WebKit,
# every sidecar), idle after start-up, against an empty Tauri app; release
# builds under Xvfb, taking turns. Writes bench/results/memory.{json,md}.
#
#   bash bench/memory.sh           5 launches of each, 5 s idle (about two minutes once built)
#   bash bench/memory.sh --smoke   one launch of each, 1 s idle; written under bench/results/tmp/
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

bench_begin memory "$@"
if [ "$smoke" -eq 1 ]; then runs=1 idle=1; else runs=5 idle=5; fi

build_release_apps
start_xvfb
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"
# When the measuring started (the record's date).
date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$work/recorded-at"

step "memory: $runs launches of each app on $DISPLAY, ${idle} s idle after start-up"
bun "$ROOT/bench/memory.ts" --runbook "$RUNBOOK_RELEASE" --empty "$EMPTY_RELEASE" \
  --sidecar "$SIDECAR_RELEASE" --display "$DISPLAY" --runs "$runs" --idle "$idle" \
  --work "$work" --root "$ROOT" --json "$out_dir/memory.json" --md "$out_dir/memory.md" \
  "${smoke_arg[@]}"
cat "$out_dir/memory.md"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/memory.json" "${out_dir#"$ROOT"/}/memory.md"
