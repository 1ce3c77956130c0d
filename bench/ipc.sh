#!/usr/bin/env bash
# The UI ↔ shell IPC benchmark in the real webview: small invoke round trips,
# 10 MB raw payloads both ways, channel and event throughput with batching;
# through Linux's ipc:// custom protocol and through the postMessage fallback.
# Drives the release build of the empty Tauri app (which carries the
# benchmark's commands) with tauri-driver and WebdriverIO under Xvfb
# (bench/ipc.ts, run by Bun), then renders the record (bench/ipc_report.ts).
# Writes bench/results/ipc.{json,md}.
#
#   bash bench/ipc.sh           the full plan (a few minutes once built)
#   bash bench/ipc.sh --smoke   a few repetitions of each; written under bench/results/tmp/
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

bench_begin ipc "$@"
command -v tauri-driver >/dev/null || die "no tauri-driver on PATH (scripts/setup.sh installs it)"
bun="$ROOT/node_modules/.bin/bun"
[ -x "$bun" ] || die "no $bun: run npm install (or npm run setup) first"

build_release_apps
start_xvfb
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"

step "IPC: in the empty Tauri app's webview on $DISPLAY"
"$bun" "$ROOT/bench/ipc.ts" --app "$EMPTY_RELEASE" --out "$work/raw.json" \
  "${smoke_arg[@]}"
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-after"
date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$work/recorded-at"

"$bun" "$ROOT/bench/ipc_report.ts" --work "$work" --root "$ROOT" \
  --json "$out_dir/ipc.json" --md "$out_dir/ipc.md"
cat "$out_dir/ipc.md"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/ipc.json" "${out_dir#"$ROOT"/}/ipc.md"
