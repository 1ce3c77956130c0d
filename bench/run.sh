#!/usr/bin/env bash
# Runs every benchmark in this folder, one after another, each recording its
# figures under bench/results/, then prints each one's aims and reading.
# Arguments (e.g. --smoke) are passed to every benchmark.
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/..
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
ensure_setup

benchmarks=(supervisor api coldstart startup memory ipc ui search scroll)

for name in "${benchmarks[@]}"; do
  step "bench: $name"
  bash "bench/$name.sh" "$@" || die "bench/$name.sh failed"
done

results=bench/results
[[ " $* " == *" --smoke "* ]] && results=bench/results/tmp
for name in "${benchmarks[@]}"; do
  report="$results/$name.md"
  step "summary: $name (the full tables are in $report)"
  # Every report has an "## Aims" table and a "## Where the time goes" (or memory) reading.
  sed -n '/^## Aims/,/^## /{/^## Aims/p;/^## /!p}' "$report"
  sed -n -E '/^## Where the (time|memory) goes/,$p' "$report"
done
bun bench/summary.ts --results "$results" "${benchmarks[@]}"
printf '\nwrote %s/summary.md (every aims table, linked from the README)\n' "$results"
