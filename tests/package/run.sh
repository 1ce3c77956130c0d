#!/usr/bin/env bash
# `npm run test:package`: builds the release packages once (scripts/package.sh)
# and runs every test in this folder on them under Xvfb: install, launch from
# the installed path, remove, reinstall (and the update tests). Needs root for
# apt-get; the tests install and remove the `runbook` package on this machine.
#
#   tests/package/run.sh [test files]
source "$(dirname "$0")/../../scripts/lib.sh"

[ "$(id -u)" -eq 0 ] || die "the package tests install with apt-get: run them as root"
ensure_setup

if [ -z "${CONVOY_PACKAGE_DEB:-}" ]; then
  step "build the packages (scripts/package.sh)"
  packages="$(bash "$ROOT/scripts/package.sh")"
  CONVOY_PACKAGE_DEB="$(grep '\.deb$' <<<"$packages" | head -n 1)"
  CONVOY_PACKAGE_RPM="$(grep '\.rpm$' <<<"$packages" | head -n 1 || true)"
  export CONVOY_PACKAGE_DEB CONVOY_PACKAGE_RPM
fi
[ -f "$CONVOY_PACKAGE_DEB" ] || die "no .deb at '$CONVOY_PACKAGE_DEB'"

[ -n "${DISPLAY:-}" ] || start_xvfb

step "package tests on $(basename "$CONVOY_PACKAGE_DEB")"
files=()
for file in "$@"; do files+=("$(realpath "$file")"); done
cd "$ROOT/tests/package"
if [ ${#files[@]} -gt 0 ]; then
  node --test --test-concurrency=1 --test-timeout=900000 "${files[@]}"
else
  node --test --test-concurrency=1 --test-timeout=900000 ./*.test.mjs
fi
