#!/usr/bin/env bash
# The package benchmark: `scripts/package.sh` run twice on the same commit
# (build time, and whether the two builds are byte-identical, file by file),
# the .deb's size, its installed size and the update download, then the
# installed app's cold start (/usr/bin/runbook → main window with api data,
# reported by the app) under Xvfb with a home of its own. Installs and removes
# the `runbook` package, so it runs as root. Writes bench/results/package.{json,md}.
#
#   bash bench/package.sh           two builds, 10 launches (a few minutes once built)
#   bash bench/package.sh --smoke   one build, 1 launch; written under bench/results/tmp/
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/..
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source=bench/desktop_lib.sh
source "$ROOT/bench/desktop_lib.sh"
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || die "the package benchmark installs with apt-get: run it as root"
ensure_setup

bench_begin package "$@"
if [ "$smoke" -eq 1 ]; then builds=1 runs=1; else builds=2 runs=10; fi
cut -d' ' -f1-3 /proc/loadavg >"$work/loadavg-before"

for n in $(seq "$builds"); do
  step "package build $n of $builds"
  # The tree is shared and moves: each build records the commit it built.
  git rev-parse --short HEAD >"$work/build-$n-commit"
  started=$(date +%s%N)
  packages="$(bash scripts/package.sh)"
  echo $((($(date +%s%N) - started) / 1000000)) >"$work/build-$n-ms"
  mkdir -p "$work/build-$n"
  while read -r package; do cp "$package" "$work/build-$n/"; done <<<"$packages"
done

start_xvfb
step "measure: sizes, reproducibility, $runs installed launches on $DISPLAY"
bun bench/package.ts --work "$work" --builds "$builds" --runs "$runs" --display "$DISPLAY" \
  --json "$out_dir/package.json" --md "$out_dir/package.md"
cat "$out_dir/package.md"
printf '\nwrote %s and %s\n' "${out_dir#"$ROOT"/}/package.json" "${out_dir#"$ROOT"/}/package.md"
