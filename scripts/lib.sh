# Shared by the scripts in this folder: paths, logging, and the shared Rust target dir.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# One build directory per user, outside the tree: reruns and fresh clones on the
# same machine reuse the Tauri build instead of starting cold.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/convoy/target}"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
APP_BIN="$CARGO_TARGET_DIR/debug/runbook"
export APP_BIN

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (no sudo found)"
  fi
}
