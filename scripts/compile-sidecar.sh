#!/usr/bin/env bash
# Compiles the TypeScript sidecar into one executable with `bun build --compile`,
# named as Tauri's `externalBin` expects: binaries/runbook-sidecar-<target-triple>.
# Prints the path of the executable.
source "$(dirname "$0")/lib.sh"

triple="${TAURI_ENV_TARGET_TRIPLE:-$(rustc -vV | sed -n 's/^host: //p')}"
out="$ROOT/apps/runbook/src-tauri/binaries/runbook-sidecar-$triple"
mkdir -p "$(dirname "$out")"
# The app's version, compiled in: every sidecar of a build reports the version
# of the shell it ships with (an update's test tells old from new by it).
version="${CONVOY_APP_VERSION:-$(node -p 'require(process.argv[1]).version' "$ROOT/apps/runbook/src-tauri/tauri.conf.json")}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "the app version must be X.Y.Z (got '$version')"
# Bytecode: each start then skips parsing the bundle, about half of what a
# role's start costs in CPU (bench/results/startup.md); it needs the ESM format
# for the entry point's top-level await.
bun build --compile --bytecode --format=esm --minify --sourcemap=none \
  --define "RUNBOOK_BUILD_VERSION=\"$version\"" \
  "$ROOT/apps/runbook/sidecar/src/main.ts" --outfile "$out" >&2
echo "$out"
