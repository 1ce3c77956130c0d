#!/usr/bin/env bash
# Installs everything Convoy needs on Debian/Ubuntu. Safe to run again: each
# part checks first and does nothing when it is already in place.
source "$(dirname "$0")/lib.sh"

# What Tauri needs on Linux, what the tests drive it with (WebKitGTK for the app,
# Chromium for the browser tests: no browser is ever downloaded), and the
# Redis-protocol server.
SYSTEM_PACKAGES=(
  build-essential pkg-config curl file libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libsoup-3.0-dev
  xvfb xauth webkit2gtk-driver chromium redis-server
  python3-minimal util-linux
)
TAURI_DRIVER_VERSION=2.1.0

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "Installing system packages: ${missing[*]}"
  command -v apt-get >/dev/null || die "apt-get not found: install these by hand: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || die "Rust is missing: install rustup (the toolchain is pinned in rust-toolchain.toml)"
command -v node >/dev/null || die "Node.js is missing: install Node.js 20.19 or newer with npm"

# npm packages, exactly as the committed lockfile has them; reinstalled only
# when the lockfile changed since the last install. Not `npm ci`: the registry
# these machines reach serves no macOS/Windows builds of packages such as
# @biomejs/cli-*, so the lockfile cannot list them and `npm ci` refuses it as
# out of sync. `npm install` accepts it; the check after it keeps it frozen.
stamp="$ROOT/node_modules/.convoy-lock-hash"
want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "Installing npm packages from package-lock.json"
  (cd "$ROOT" && npm install --no-audit --no-fund)
  [ "$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)" = "$want" ] ||
    die "npm install changed package-lock.json: commit the new lockfile (package.json and the lockfile disagreed)"
  echo "$want" >"$stamp"
fi

# The pinned toolchain (rustup installs it on first use; this makes that explicit).
(cd "$ROOT" && rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install)

driver_stamp="$HOME/.cargo/.convoy-tauri-driver-version"
if ! command -v tauri-driver >/dev/null || [ "$(cat "$driver_stamp" 2>/dev/null)" != "$TAURI_DRIVER_VERSION" ]; then
  step "Installing tauri-driver $TAURI_DRIVER_VERSION"
  cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
  echo "$TAURI_DRIVER_VERSION" >"$driver_stamp"
fi
