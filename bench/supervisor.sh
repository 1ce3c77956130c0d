#!/usr/bin/env bash
# The supervisor benchmark: launch → all ready, api crash → ready again, and the
# shell's CPU and memory while a sidecar floods its output; for the sidecar under
# Bun (development) and compiled (as shipped). Writes bench/results/supervisor.{json,md}.
#
#   bash bench/supervisor.sh           full run (about a minute), recorded
#   bash bench/supervisor.sh --smoke   each measurement once, tiny flood; written
#                                      under bench/results/tmp/ so the record stays
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/..
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"
ensure_setup

bench_begin supervisor "$@"
if [ "$smoke" -eq 1 ]; then
  runs=1 crashes=1 exec_runs=2 flood_runs=1 flood_bytes=1000000
else
  runs=10 crashes=10 exec_runs=20 flood_runs=3 flood_bytes=300000000
fi
# The machine is shared: the record says how busy it was.
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"

step "build the benchmark (release)"
cargo build --release -p convoy-supervisor-bench
bench_bin="$CARGO_TARGET_DIR/release/convoy-supervisor-bench"

bun="$ROOT/node_modules/.bin/bun"
[ -x "$bun" ] || die "no $bun: run npm install (or npm run setup) first"
valkey="${CONVOY_VALKEY:-$(command -v valkey-server || command -v redis-server || true)}"
[ -n "$valkey" ] || die "neither valkey-server nor redis-server is on PATH (scripts/setup.sh installs it)"

# The compiled sidecar: CONVOY_SIDECAR if given, else the one scripts/compile-sidecar.sh
# writes, rebuilt when any of its sources is newer. Skipped (and said so) if it cannot be built.
triple="$(rustc -vV | sed -n 's/^host: //p')"
compiled="${CONVOY_SIDECAR:-$ROOT/apps/runbook/src-tauri/binaries/runbook-sidecar-$triple}"
if [ -z "${CONVOY_SIDECAR:-}" ]; then
  if [ ! -x "$compiled" ] || [ -n "$(find apps/runbook/sidecar/src apps/runbook/sidecar/migrations \
    apps/runbook/sidecar/package.json packages/sidecar-runtime/src -newer "$compiled" -print -quit)" ]; then
    step "compile the sidecar (missing or older than its sources)"
    bash scripts/compile-sidecar.sh >/dev/null || compiled=""
  fi
fi
if [ -n "$compiled" ] && [ ! -x "$compiled" ]; then compiled=""; fi
[ -n "$compiled" ] || printf 'note: no compiled sidecar; measuring under Bun only\n' >&2

step "start-up floors (spawn and exit, $exec_runs runs each; the sidecar's own is timed with the launches)"
"$bench_bin" exec --label "/bin/true (spawn floor)" --runs "$exec_runs" \
  --out "$work/exec-1-true.json" -- /bin/true
"$bench_bin" exec --label "bun -e 0 (Bun's own start)" --runs "$exec_runs" \
  --out "$work/exec-2-bun.json" -- "$bun" -e 0
"$bench_bin" exec --label "$(basename "$valkey") --version" --runs "$exec_runs" \
  --out "$work/exec-5-valkey.json" -- "$valkey" --version

step "launch → all ready, and api crash → ready again ($runs launches, $crashes crashes each)"
# Runbook's graph as apps/runbook/src-tauri/tauri.conf.json declares it. The
# variants take turns, so a busy spell on the machine does not land on one only.
variants=(--bun "$bun")
[ -z "$compiled" ] || variants+=(--compiled "$compiled")
"$bench_bin" graph --conf "$ROOT/apps/runbook/src-tauri/tauri.conf.json" --valkey "$valkey" \
  --runs "$runs" --crashes "$crashes" "${variants[@]}" --out "$work/graph.json"

step "flood: $flood_bytes bytes of output, $flood_runs runs"
"$bench_bin" flood --bytes "$flood_bytes" --runs "$flood_runs" --out "$work/flood.json"

cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-after"
date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$work/recorded-at"

step "report"
"$bun" "$ROOT/bench/supervisor_report.ts" --work "$work" \
  --json "$out_dir/supervisor.json" --md "$out_dir/supervisor.md" \
  --bun "$bun" --valkey "$valkey" ${compiled:+--compiled "$compiled"} \
  "${smoke_arg[@]}"
cat "$out_dir/supervisor.md"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/supervisor.json" "${out_dir#"$ROOT"/}/supervisor.md"
