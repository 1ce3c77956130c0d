#!/usr/bin/env bash
# Installs everything Convoy needs on Debian/Ubuntu, checking each requirement
# itself rather than trusting what an earlier machine left: every Debian
# package, the pinned Rust toolchain with each component and target that
# rust-toolchain.toml names, the npm packages of the committed lockfile, and
# tauri-driver. After installing, it checks again and fails if anything is
# still missing. A second run installs nothing and says so in one line.
#
#   scripts/setup.sh          install what is missing
#   scripts/setup.sh --plan   print what is missing and what would install it; change nothing
# Asking rustup what is installed must not install it: with auto-install on,
# rustup would fetch a missing toolchain (and its components) just to answer.
# Every install below is an explicit rustup or cargo command.
export RUSTUP_AUTO_INSTALL=0

CONVOY_SETUP_ONLY=1
source "$(dirname "$0")/lib.sh"

# What Tauri needs on Linux, what the tests drive it with (WebKitGTK for the app,
# Chromium for the browser tests: no browser is ever downloaded), and the
# Redis-protocol server; pkexec, which the updater installs a package with.
SYSTEM_PACKAGES=(
  build-essential pkg-config curl file libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libsoup-3.0-dev
  xvfb xauth x11-utils webkit2gtk-driver chromium redis-server
  python3-minimal util-linux python3-venv
  pkexec
)
TAURI_DRIVER_VERSION=2.1.0
NODE_MIN=20.19
# Each npm package that ships a binary the scripts run, and the binary.
NPM_BINARIES=(biome tsc tauri bun openapi-typescript)

mode=install
case "${1:-}" in
--plan) mode=plan ;;
"") ;;
*) die "usage: scripts/setup.sh [--plan]" ;;
esac

# rust-toolchain.toml's value for KEY: one line, `key = "x"` or `key = ["x", "y"]`.
toolchain_field() {
  sed -n "s/^$1 *= *//p" "$ROOT/rust-toolchain.toml" | tr -d '[]",' | xargs
}

version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# --- what is missing: each check adds one line to the plan ----------------------
plan=()    # what a person reads
action=()  # the function (and its arguments) that installs it

need() {
  plan+=("$1")
  shift
  action+=("$(printf '%q ' "$@")")
}

check_base_toolchains() {
  command -v node >/dev/null || die "Node.js is missing: install Node.js $NODE_MIN or newer with npm"
  command -v npm >/dev/null || die "npm is missing: install it with Node.js $NODE_MIN or newer"
  local node_version
  node_version="$(node -p 'process.versions.node')"
  version_at_least "$node_version" "$NODE_MIN" || die "Node.js $node_version is too old: Convoy needs $NODE_MIN or newer"
  command -v rustup >/dev/null || die "rustup is missing: install it (the toolchain is pinned in rust-toolchain.toml)"
}

check_system_packages() {
  local pkg missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] || need "Debian packages: ${missing[*]} (apt-get install)" install_system_packages "${missing[@]}"
}

check_rust_toolchain() {
  local channel host toolchain
  channel="$(toolchain_field channel)"
  [ -n "$channel" ] || die "rust-toolchain.toml names no channel"
  # `rustup show` names the host even when it fails for want of a toolchain.
  host="$( (cd / && rustup show 2>/dev/null || true) | sed -n 's/^Default host: //p')"
  [ -n "$host" ] || die "rustup did not say which host this is (rustup show)"
  toolchain="$channel-$host"
  if ! rustup toolchain list 2>/dev/null | awk '{print $1}' | grep -qxF "$toolchain"; then
    need "Rust toolchain $toolchain (rustup toolchain install)" rustup toolchain install "$toolchain" --profile minimal
    # A toolchain that is not there has none of its components or targets either.
  fi
  # rustup adds rust-toolchain.toml's components and targets only when it
  # installs the toolchain itself, so each one is checked here.
  local installed item missing=()
  installed="$(rustup component list --installed --toolchain "$toolchain" 2>/dev/null || true)"
  for item in $(toolchain_field components); do
    grep -qx "$item-$host\|$item-preview-$host\|$item" <<<"$installed" || missing+=("$item")
  done
  [ ${#missing[@]} -eq 0 ] ||
    need "Rust $channel components: ${missing[*]} (rustup component add)" rustup component add --toolchain "$toolchain" "${missing[@]}"
  installed="$(rustup target list --installed --toolchain "$toolchain" 2>/dev/null || true)"
  missing=()
  for item in $(toolchain_field targets); do
    grep -qx "$item" <<<"$installed" || missing+=("$item")
  done
  [ ${#missing[@]} -eq 0 ] ||
    need "Rust $channel targets: ${missing[*]} (rustup target add)" rustup target add --toolchain "$toolchain" "${missing[@]}"
}

# The npm packages count as installed only when they were installed from this
# very lockfile (a stamp holds its hash) and every binary the scripts run is there.
NPM_STAMP="$ROOT/node_modules/.convoy-lock-hash"
lock_hash() { sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1; }

check_npm_packages() {
  local why="" bin
  if [ ! -f "$NPM_STAMP" ]; then
    why="no node_modules installed from it"
  elif [ "$(cat "$NPM_STAMP")" != "$(lock_hash)" ]; then
    why="node_modules was installed from another lockfile"
  else
    for bin in "${NPM_BINARIES[@]}"; do
      [ -x "$ROOT/node_modules/.bin/$bin" ] || { why="node_modules lacks $bin" && break; }
    done
  fi
  [ -z "$why" ] || need "npm packages from package-lock.json: $why (npm ci)" install_npm_packages
}

# The FastAPI example's venv counts as installed only when it was made from
# these very requirements (a stamp holds their hash) and its Python runs.
EXAMPLE_DIR="$ROOT/examples/fastapi-valkey"
EXAMPLE_VENV="$EXAMPLE_DIR/.venv"
EXAMPLE_STAMP="$EXAMPLE_VENV/.convoy-requirements-hash"
requirements_hash() { sha256sum "$EXAMPLE_DIR/requirements.txt" | cut -d' ' -f1; }

check_example_venv() {
  # A tree without the example (setup's own tests copy only scripts and manifests).
  [ -f "$EXAMPLE_DIR/requirements.txt" ] || return 0
  local why=""
  if ! "$EXAMPLE_VENV/bin/python" -c "" 2>/dev/null; then
    why="no venv at examples/fastapi-valkey/.venv"
  elif [ "$(cat "$EXAMPLE_STAMP" 2>/dev/null || true)" != "$(requirements_hash)" ]; then
    why="the venv was not made from these requirements"
  fi
  [ -z "$why" ] || need "Python venv for examples/fastapi-valkey: $why (python3 -m venv, pip install)" install_example_venv
}

# Asked of cargo from outside the tree, so that asking never installs the pinned toolchain.
check_tauri_driver() {
  (cd / && cargo install --list 2>/dev/null) | grep -qxF "tauri-driver v$TAURI_DRIVER_VERSION:" ||
    need "tauri-driver $TAURI_DRIVER_VERSION (cargo install)" cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
}

find_missing() {
  plan=()
  action=()
  check_system_packages
  check_rust_toolchain
  check_npm_packages
  check_tauri_driver
  check_example_venv
}

# --- how each part is installed -----------------------------------------------
install_system_packages() {
  command -v apt-get >/dev/null || die "apt-get not found: install these by hand: $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# `npm ci` installs exactly what the lockfile lists (for this platform only:
# the lockfile lists every platform's optional packages) and never rewrites it.
install_npm_packages() {
  local want
  want="$(lock_hash)"
  (cd "$ROOT" && npm ci --no-audit --no-fund)
  [ "$(lock_hash)" = "$want" ] || die "npm ci changed package-lock.json: regenerate and commit the lockfile"
  echo "$want" >"$NPM_STAMP"
}

# A fresh venv each time, so nothing from other requirements lingers; every
# package, the dependencies' dependencies included, is pinned exactly.
install_example_venv() {
  command -v python3 >/dev/null || die "python3 is missing: install python3 and python3-venv"
  python3 -m venv --clear "$EXAMPLE_VENV"
  "$EXAMPLE_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$EXAMPLE_DIR/requirements.txt"
  requirements_hash >"$EXAMPLE_STAMP"
}

# --- run ------------------------------------------------------------------------
check_base_toolchains
find_missing
checked="${#SYSTEM_PACKAGES[@]} Debian packages, Rust $(toolchain_field channel) with its components and targets, npm packages, tauri-driver, the example's Python venv"

if [ "$mode" = plan ]; then
  if [ ${#plan[@]} -eq 0 ]; then
    echo "setup: nothing missing (checked $checked)"
  else
    echo "setup would install:"
    printf '  - %s\n' "${plan[@]}"
  fi
  exit 0
fi

if [ ${#plan[@]} -eq 0 ]; then
  echo "setup: nothing to install (checked $checked)"
  exit 0
fi

todo=("${plan[@]}")
steps=("${action[@]}")
for i in "${!steps[@]}"; do
  step "Installing ${todo[$i]}"
  eval "${steps[$i]}"
done

find_missing
[ ${#plan[@]} -eq 0 ] || die "still missing after setup: $(printf '%s; ' "${plan[@]}")"
echo "setup: installed ${#todo[@]} part(s); every requirement is now in place"
