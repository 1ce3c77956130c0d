#!/usr/bin/env bash
# UI ↔ api and job output → UI, in Runbook's real main window: a small
# authenticated read from the webview, the latency from a job printing a line
# to the line being in the window, and the sustained rate of a flood of lines
# with every line checked. Drives the release build with tauri-driver and
# WebdriverIO under Xvfb (bench/ui.ts, run by Bun), then renders the record
# (bench/ui_report.ts).
# Writes bench/results/ui.{json,md}.
#
#   bash bench/ui.sh           the full plan (a few minutes once built)
#   bash bench/ui.sh --smoke   a few repetitions of each; written under bench/results/tmp/
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

bench_begin ui "$@"
mkdir -p "$work/data"
command -v tauri-driver >/dev/null || die "no tauri-driver on PATH (scripts/setup.sh installs it)"
bun="$ROOT/node_modules/.bin/bun"
[ -x "$bun" ] || die "no $bun: run npm install (or npm run setup) first"

build_release_apps
start_xvfb
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"

step "UI: in Runbook's main window on $DISPLAY"
"$bun" "$ROOT/bench/ui.ts" --app "$RUNBOOK_RELEASE" --sidecar "$SIDECAR_RELEASE" \
  --data-dir "$work/data" --out "$work/raw.json" "${smoke_arg[@]}"
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-after"
date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$work/recorded-at"
rm -rf "$work/data"

"$bun" "$ROOT/bench/ui_report.ts" --work "$work" --root "$ROOT" \
  --json "$out_dir/ui.json" --md "$out_dir/ui.md"
cat "$out_dir/ui.md"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/ui.json" "${out_dir#"$ROOT"/}/ui.md"
