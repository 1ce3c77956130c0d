#!/usr/bin/env bash
# The cold start benchmark: exec → ready of the sidecar's api role, compiled (as
# shipped) and under Bun, against the same role written as the published
# templates do it: a FastAPI app under uvicorn (bench/baselines/fastapi/), in a
# venv this script installs from PyPI. Plus the floors that split the time:
# spawning, each runtime doing nothing, each loading its code. Driver and report
# run on Bun; Python runs only the baseline.
# Writes bench/results/coldstart.{json,md}.
#
#   bash bench/coldstart.sh           full run (20 starts of each, about 2 minutes), recorded
#   bash bench/coldstart.sh --smoke   each once; written under bench/results/tmp/ so the record stays
#
# The venv is cached under ~/.cache/convoy/bench-venv/<key>, the key a hash of
# bench/baselines/fastapi/requirements.txt (exact pins) and the Python used, so
# reruns skip installing; delete that folder to force a fresh install.
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

bench_begin coldstart "$@"
if [ "$smoke" -eq 1 ]; then
  runs=1 seed=30
else
  runs=20 seed=1000
fi
mkdir -p "$work/data"

bun="$ROOT/node_modules/.bin/bun"
[ -x "$bun" ] || die "no $bun: run npm install (or npm run setup) first"
command -v python3 >/dev/null || die "no python3 on PATH"
entry="$ROOT/apps/runbook/sidecar/src/main.ts"
baseline="$ROOT/bench/baselines/fastapi"

step "the FastAPI baseline's venv"
requirements="$baseline/requirements.txt"
key="$( (cat "$requirements"; python3 -c 'import sys; print(sys.version, sys.executable)') | sha256sum | cut -c1-16)"
venvs="${XDG_CACHE_HOME:-$HOME/.cache}/convoy/bench-venv"
venv="$venvs/$key"
if [ -x "$venv/bin/python" ] && [ -f "$venv/.installed" ]; then
  printf 'cached: %s\n' "$venv"
else
  mkdir -p "$venvs"
  rm -rf "$venv"
  # Built aside and moved into place whole, so an interrupted install is never taken for a cached one.
  tmp="$(mktemp -d "$venvs/.install-XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m venv "$tmp/venv"
  "$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  touch "$tmp/venv/.installed"
  mv "$tmp/venv" "$venv"
  rmdir "$tmp"
  trap - EXIT
  printf 'installed: %s\n' "$venv"
fi
python="$venv/bin/python"
"$python" -c 'import fastapi, uvicorn' || die "the venv at $venv cannot import fastapi and uvicorn; delete it and rerun"

compiled="$(compiled_sidecar)"
driver_args=(--bun "$bun" --entry "$entry" --python "$python" --fastapi-app "$baseline/app.py"
  --noop "$ROOT/bench/baselines/noop.ts" --first-write "$ROOT/bench/baselines/first_write.ts"
  --steps "$ROOT/bench/coldstart_steps.ts" --data-dir "$work/data" --out "$work/starts.json"
  --runs "$runs" --seed "$seed")
if [ -n "$compiled" ]; then
  step "compile the runtime floors the way the sidecar is compiled"
  for floor in noop first_write; do
    "$bun" build --compile --minify --sourcemap=none "$ROOT/bench/baselines/$floor.ts" \
      --outfile "$work/$floor-compiled" >/dev/null
  done
  driver_args+=(--compiled "$compiled" --noop-compiled "$work/noop-compiled"
    --first-write-compiled "$work/first_write-compiled")
fi

step "migrate a fresh data dir"
CONVOY_DATA_DIR="$work/data" "$bun" "$entry" migrate

# The machine is shared: the record says how busy it was.
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"
step "exec → ready, $runs starts of each (and the floors), taking turns"
"$bun" "$ROOT/bench/coldstart_driver.ts" "${driver_args[@]}"
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-after"
date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$work/recorded-at"

step "report"
report_args=(--work "$work" --json "$out_dir/coldstart.json" --md "$out_dir/coldstart.md"
  --bun "$bun" --python "$python" --requirements "$requirements")
[ -z "$compiled" ] || report_args+=(--compiled "$compiled")
[ "$smoke" -eq 0 ] || report_args+=(--smoke)
"$bun" "$ROOT/bench/coldstart_report.ts" "${report_args[@]}"
cat "$out_dir/coldstart.md"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/coldstart.json" "${out_dir#"$ROOT"/}/coldstart.md"
