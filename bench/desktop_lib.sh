# Shared by startup.sh, memory.sh and ipc.sh (sourced after scripts/lib.sh):
# the release builds of Runbook and of the empty Tauri baseline, built once and
# reused while their sources are unchanged. (Their private Xvfb display is
# start_xvfb, in scripts/lib.sh.)
# shellcheck shell=bash source-path=SCRIPTDIR/..

# Used by the scripts that source this file.
# shellcheck disable=SC2034
RUNBOOK_RELEASE="$CARGO_TARGET_DIR/release/runbook"
# shellcheck disable=SC2034
EMPTY_RELEASE="$CARGO_TARGET_DIR/release/empty-tauri"

# The UI (when older than its sources), the compiled sidecar (likewise, by
# compiled_sidecar.sh; sets SIDECAR_RELEASE), then both shells in one cargo run:
# building them together unifies their features, so Tauri is compiled once, with
# the `custom-protocol` feature `tauri build` turns on (the assets embedded, the
# app as shipped). The release shell finds its sidecar beside itself; the
# benchmarks point it at SIDECAR_RELEASE with CONVOY_SIDECAR instead.
build_release_apps() {
  local ui=apps/runbook/ui
  if [ ! -f "$ui/dist/index.html" ] || [ -n "$(find "$ui/src" "$ui/index.html" "$ui/splash.html" "$ui/vite.config.ts" "$ui/package.json" \
    crates/tauri-plugin-convoy-supervisor/guest-js -newer "$ui/dist/index.html" -print -quit)" ]; then
    step "build the UI (missing or older than its sources)"
    npm run build --workspace @convoy/runbook-ui --silent
  fi

  # shellcheck source=bench/compiled_sidecar.sh
  source "$ROOT/bench/compiled_sidecar.sh"
  SIDECAR_RELEASE="$(compiled_sidecar)"
  [ -n "$SIDECAR_RELEASE" ] || die "Runbook's release build needs the compiled sidecar (scripts/compile-sidecar.sh)"

  step "build Runbook and the empty Tauri app (release; several minutes the first time)"
  cargo build --release -p runbook -p empty-tauri --features tauri/custom-protocol
}
