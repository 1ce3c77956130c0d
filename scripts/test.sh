#!/usr/bin/env bash
# `npm test`: every gate and every test, on real parts. Builds the debug app
# once and reuses it. Stops at the first failing step.
source "$(dirname "$0")/lib.sh"

bash "$ROOT/scripts/setup.sh"
printf '(setup: %ds)\n' "$SECONDS"
cd "$ROOT"

passed=0
run() {
  local name="$1"
  shift
  step "$name"
  local started=$SECONDS
  if ! "$@"; then
    printf '\nFAILED: %s\n' "$name" >&2
    printf 'steps: %d passed, 1 failed\n' "$passed"
    exit 1
  fi
  passed=$((passed + 1))
  printf '(%s: %ds)\n' "$name" $((SECONDS - started))
}

typecheck() {
  local pkg
  for pkg in packages/sidecar-runtime packages/testing crates/tauri-plugin-convoy-supervisor apps/runbook/sidecar apps/runbook/ui docs examples/fastapi-valkey/ui bench; do
    tsc --noEmit -p "$pkg" || return 1
  done
}

# Setup against deliberately incomplete machines (scratch Rust and Cargo homes, a
# tree without node_modules): each check must find what it looks for.
run "setup: finds and installs what is missing" node --test --test-concurrency=1 tests/setup/
run "rustfmt" cargo fmt --all --check
run "biome" biome ci --error-on-warnings .
run "tsc --noEmit" typecheck
run "build (UI + debug shell)" bash scripts/build.sh
run "clippy -D warnings" cargo clippy --workspace --all-targets -- -D warnings
# Compiled here, not run: the supervisor's Job Object (Windows) and kqueue (macOS) paths.
cross_check() {
  local target
  for target in x86_64-pc-windows-gnu x86_64-apple-darwin; do
    cargo clippy -p convoy-supervisor --target "$target" --lib --tests -- -D warnings || return 1
  done
}
run "clippy: supervisor for Windows and macOS" cross_check
run "generated files are current" bash scripts/generate.sh --check
# The default members: the benchmarks' crates are built by their own scripts.
run "cargo test" cargo test
run "bun test: sidecar runtime" bash -c "cd packages/sidecar-runtime && bun test"
run "bun test: plugin guest-js README" bash -c "cd crates/tauri-plugin-convoy-supervisor && bun test guest-js"
run "bun test: runbook sidecar" bash -c "cd apps/runbook/sidecar && bun test"
run "vitest: ui" npm run test --workspace @convoy/runbook-ui --silent
run "pytest: FastAPI example" examples/fastapi-valkey/.venv/bin/python -m pytest -q examples/fastapi-valkey
run "guide: docs/wrap-your-stack.md runs as written" node --test tests/guide/
run "browser: cross-origin attacks (Chromium)" bash -c "cd tests/browser && node --test --test-concurrency=1 ./*.test.mjs"
run "e2e: real webview (tauri-driver, Xvfb)" bash scripts/e2e.sh

printf '\nsteps: %d passed, 0 failed\n' "$passed"
