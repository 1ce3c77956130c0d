#!/usr/bin/env bash
# Builds Runbook's release packages for this machine: the UI, the sidecar
# compiled once with `bun build --compile` (one executable, three roles) as the
# bundle's `externalBin`, and `tauri build` for a .deb and an .rpm (the Tauri
# bundler writes both itself, offline). Prints the path of each package on
# stdout, one a line; everything else goes to stderr.
#
#   scripts/package.sh                   the version in tauri.conf.json
#   scripts/package.sh --version 0.2.0   another version (the update tests build two)
#
# Reproducible: the same commit built twice gives byte-identical packages.
# Timestamps come from the commit (SOURCE_DATE_EPOCH), paths of the checkout,
# the Cargo home and the target dir are remapped out of the Rust binary.
source "$(dirname "$0")/lib.sh"

version=""
while [ $# -gt 0 ]; do
  case "$1" in
  --version)
    [ $# -ge 2 ] || die "--version needs a value"
    version="$2"
    shift 2
    ;;
  *) die "usage: scripts/package.sh [--version X.Y.Z]" ;;
  esac
done
if [ -n "$version" ] && ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  die "--version must be X.Y.Z (got '$version')"
fi

ensure_setup >&2

# One timestamp for everything the build writes: the commit's, or the caller's.
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH
export TZ=UTC LC_ALL=C.UTF-8

# Absolute paths in panic messages and debug info would tie the binary to this
# checkout and this machine's Cargo home.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$ROOT=/convoy --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$CARGO_TARGET_DIR=/target"
export RUSTFLAGS

triple="$(rustc -vV | sed -n 's/^host: //p')"
export TAURI_ENV_TARGET_TRIPLE="$triple"

step "compile the sidecar for $triple" >&2
bash "$ROOT/scripts/compile-sidecar.sh" >/dev/null

# The externalBin only for packaging: debug builds run the sidecar's TypeScript.
overlay="{\"bundle\":{\"externalBin\":[\"binaries/runbook-sidecar\"]}"
[ -z "$version" ] || overlay="$overlay,\"version\":\"$version\""
overlay="$overlay}"

bundle_dir="$CARGO_TARGET_DIR/release/bundle"
# Only this run's packages are printed, so stale ones from another version go.
rm -rf "$bundle_dir/deb" "$bundle_dir/rpm"

step "tauri build (release: UI, shell, .deb, .rpm)" >&2
started=$(date +%s)
(cd "$ROOT/apps/runbook/src-tauri" && tauri build --ci --bundles deb,rpm --config "$overlay") >&2
printf 'packaged in %d s\n' "$(($(date +%s) - started))" >&2

found=0
for package in "$bundle_dir"/deb/*.deb "$bundle_dir"/rpm/*.rpm; do
  [ -f "$package" ] || continue
  echo "$package"
  found=1
done
[ "$found" = 1 ] || die "tauri build wrote no package under $bundle_dir"
