# Shared by startup.sh, memory.sh and ipc.sh (sourced after scripts/lib.sh):
# the release builds of Runbook and of the empty Tauri baseline, built once and
# reused while their sources are unchanged, and a private Xvfb display.
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

# Starts Xvfb on a free display (it picks the number: -displayfd), exports
# DISPLAY, and stops it when the calling script exits.
start_xvfb() {
  local numfile
  numfile="$(mktemp)"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$numfile" >/dev/null 2>&1 &
  XVFB_PID=$!
  # shellcheck disable=SC2064 # the pid is meant to be expanded now
  trap "kill $XVFB_PID 2>/dev/null || true; rm -f '$numfile'" EXIT
  for _ in $(seq 100); do
    [ -s "$numfile" ] && break
    sleep 0.05
  done
  [ -s "$numfile" ] || die "Xvfb did not start"
  DISPLAY=":$(tr -d '[:space:]' <"$numfile")"
  export DISPLAY
}
