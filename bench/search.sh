#!/usr/bin/env bash
# The search benchmark: GET /search and the other history reads over a real
# Runbook database of 10,000 runs and about 1 GB of output, built through the
# copier's store and cached under ~/.cache/convoy/bench/ (keyed by the schema
# version), timed through the api's handlers. Writes bench/results/search.{json,md}.
#
#   bash bench/search.sh           full run (building the database takes minutes, once)
#   bash bench/search.sh --smoke   200 small runs; written under bench/results/tmp/
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/..
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"
ensure_setup

bench_begin search "$@"
bun="$ROOT/node_modules/.bin/bun"
[ -x "$bun" ] || die "no $bun: run npm install (or npm run setup) first"
# The machine is shared: the record says how busy it was.
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"

step "search: build (or reuse) the database, then time the queries"
search_args=(--work "$work" --json "$out_dir/search.json" --md "$out_dir/search.md")
[ "$smoke" -eq 0 ] || search_args+=(--smoke)
"$bun" "$ROOT/bench/search.ts" "${search_args[@]}"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/search.json" "${out_dir#"$ROOT"/}/search.md"
