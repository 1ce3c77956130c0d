# Sourced by every benchmark script (after scripts/lib.sh).
# shellcheck shell=bash
# The start every benchmark shares: reads its arguments (only
# --smoke) and sets `smoke` (0 or 1), `smoke_arg` (to pass on), `out_dir`
# (bench/results, or bench/results/tmp for a smoke run, so the record stays)
# and `work` (bench/results/tmp/<name>, made empty).
# Usage: bench_begin <name> "$@"
# shellcheck disable=SC2034 # smoke_arg, out_dir and work are read by the calling script
bench_begin() {
  local name=$1 arg
  shift
  smoke=0 smoke_arg=()
  for arg in "$@"; do
    case "$arg" in
      --smoke) smoke=1 smoke_arg=(--smoke) ;;
      *) die "unknown argument: $arg (usage: bench/$name.sh [--smoke])" ;;
    esac
  done
  if [ "$smoke" -eq 1 ]; then out_dir="$ROOT/bench/results/tmp"; else out_dir="$ROOT/bench/results"; fi
  work="$ROOT/bench/results/tmp/$name"
  rm -rf "$work"
  mkdir -p "$work" "$out_dir"
}
