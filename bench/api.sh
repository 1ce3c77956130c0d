#!/usr/bin/env bash
# The api benchmark: requests per second and latency of GET /jobs?limit=20
# (token, SQLite-backed) from autocannon on loopback, for the sidecar under Bun
# and compiled, against a bare Bun.serve hello-world measured in the same run;
# then where a request's time goes, timed in-process. Driver and report run on
# Bun (autocannon included). Writes bench/results/api.{json,md}.
#
#   bash bench/api.sh           full run (about 5 minutes), recorded
#   bash bench/api.sh --smoke   one short run of each; written under
#                               bench/results/tmp/ so the record stays
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/..
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source=bench/compiled_sidecar.sh
source "$ROOT/bench/compiled_sidecar.sh"
cd "$ROOT"
ensure_setup

bench_begin api "$@"
if [ "$smoke" -eq 1 ]; then
  duration=1 reps=1 connections=10 warmup=0 seed=30 batches=1
else
  duration=10 reps=3 connections=10,50 warmup=3 seed=1000 batches=7
fi
mkdir -p "$work/data"
# The machine is shared: the record says how busy it was.
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"

bun="$ROOT/node_modules/.bin/bun"
[ -x "$bun" ] || die "no $bun: run npm install (or npm run setup) first"
autocannon="$ROOT/node_modules/autocannon/package.json"
[ -f "$autocannon" ] || die "no autocannon: run npm install at the repository root first"
entry="$ROOT/apps/runbook/sidecar/src/main.ts"
compiled="$(compiled_sidecar)"

step "load: autocannon, ${duration}s × $reps runs per server and connection count ($connections)"
"$bun" "$ROOT/bench/api_load.ts" --bun "$bun" --entry "$entry" --hello "$ROOT/bench/baselines/hello.ts" \
  ${compiled:+--compiled "$compiled"} --data-dir "$work/data" --out "$work/load.json" \
  --duration "$duration" --reps "$reps" --connections "$connections" --warmup "$warmup" --seed "$seed"

step "in-process parts (no network), $batches batches each"
"$bun" "$ROOT/bench/api_parts.ts" --data-dir "$work/data" --out "$work/parts.json" --batches "$batches"

cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-after"
date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$work/recorded-at"

step "report"
report_args=(--work "$work" --json "$out_dir/api.json" --md "$out_dir/api.md" --bun "$bun"
  --autocannon "$autocannon")
[ -z "$compiled" ] || report_args+=(--compiled "$compiled")
[ "$smoke" -eq 0 ] || report_args+=(--smoke)
"$bun" "$ROOT/bench/api_report.ts" "${report_args[@]}"
cat "$out_dir/api.md"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/api.json" "${out_dir#"$ROOT"/}/api.md"
