# Shared by the scripts in this folder: paths, logging, and the shared Rust target dir.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# One build directory per user, outside the tree: reruns and fresh clones on the
# same machine reuse the Tauri build instead of starting cold.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/convoy/target}"
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
APP_BIN="$CARGO_TARGET_DIR/debug/runbook"
export APP_BIN

# Tauri's build scripts hand absolute paths from one crate to the next (the
# supervisor plugin's permission files, read by the app's build script), and
# cargo keys a workspace crate's build-script output by name, not by where the
# tree is. So when the shared target dir was last built from another clone,
# those crates are cleaned (a minute of rebuilding, not the whole of Tauri).
# Runs scripts/setup.sh (idempotent: system packages, npm packages, the Rust
# toolchain) once per run, so an entry point works on a fresh clone; nested
# scripts see CONVOY_SETUP_DONE and skip it.
ensure_setup() {
  [ -n "${CONVOY_SETUP_DONE:-}" ] && return 0
  bash "$ROOT/scripts/setup.sh"
  export CONVOY_SETUP_DONE=1
}

claim_target_dir() {
  local stamp="$CARGO_TARGET_DIR/.convoy-tree"
  [ "$(cat "$stamp" 2>/dev/null || true)" = "$ROOT" ] && return 0
  if [ -e "$stamp" ]; then
    command -v cargo >/dev/null || return 0 # setup installs it; the next script cleans
    printf 'the shared target dir was built from %s: cleaning the crates whose build scripts record paths\n' \
      "$(cat "$stamp")" >&2
    (cd "$ROOT" && cargo clean --quiet -p tauri-plugin-convoy-supervisor -p runbook -p fastapi-valkey -p empty-tauri) || true
  fi
  mkdir -p "$CARGO_TARGET_DIR"
  printf '%s\n' "$ROOT" >"$stamp"
}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (no sudo found)"
  fi
}

# Starts Xvfb on a free display (it picks the number: -displayfd), exports
# DISPLAY and XVFB_PID (by which tests know the display is their own), and
# stops it when the calling script exits. The EXIT trap it sets runs the one
# already set too, so call it after setting your own.
start_xvfb() {
  local numfile previous=()
  numfile="$(mktemp)"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$numfile" >/dev/null 2>&1 &
  XVFB_PID=$!
  # `trap -p EXIT` prints `trap -- 'command' EXIT`, quoted for the shell.
  eval "previous=($(trap -p EXIT))"
  # shellcheck disable=SC2064 # the pid and the previous trap are meant to be expanded now
  trap "kill $XVFB_PID 2>/dev/null || true; rm -f '$numfile'${previous[2]:+; ${previous[2]}}" EXIT
  for _ in $(seq 100); do
    [ -s "$numfile" ] && break
    kill -0 "$XVFB_PID" 2>/dev/null || break
    sleep 0.05
  done
  [ -s "$numfile" ] || die "Xvfb did not start"
  DISPLAY=":$(tr -d '[:space:]' <"$numfile")"
  export DISPLAY XVFB_PID
}

# Setup builds nothing, so it leaves the shared target dir to the scripts that do.
[ -n "${CONVOY_SETUP_ONLY:-}" ] || claim_target_dir
