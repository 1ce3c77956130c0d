#!/usr/bin/env bash
# Compiles the TypeScript sidecar into one executable with `bun build --compile`,
# named as Tauri's `externalBin` expects: binaries/runbook-sidecar-<target-triple>.
# Prints the path of the executable.
source "$(dirname "$0")/lib.sh"

triple="${TAURI_ENV_TARGET_TRIPLE:-$(rustc -vV | sed -n 's/^host: //p')}"
out="$ROOT/apps/runbook/src-tauri/binaries/runbook-sidecar-$triple"
mkdir -p "$(dirname "$out")"
# Bytecode: each start then skips parsing the bundle, about half of what a
# role's start costs in CPU (bench/results/startup.md); it needs the ESM format
# for the entry point's top-level await.
bun build --compile --bytecode --format=esm --minify --sourcemap=none \
  "$ROOT/apps/runbook/sidecar/src/main.ts" --outfile "$out" >&2
echo "$out"
