#!/usr/bin/env bash
# Builds Runbook's release packages for this machine: the UI, the sidecar
# compiled once with `bun build --compile` (one executable, three roles) as the
# bundle's `externalBin`, and `tauri build` for a .deb and an .rpm (the Tauri
# bundler writes both itself, offline). Prints the path of each package on
# stdout, one a line (each version's under $CARGO_TARGET_DIR/packages/<version>/);
# everything else goes to stderr. Runs wait for each other (a lock file).
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

# One build at a time per target dir: they share Tauri's bundle directory.
mkdir -p "$CARGO_TARGET_DIR"
exec 9>"$CARGO_TARGET_DIR/.package.lock"
flock 9

app_version="${version:-$(node -p 'require(process.argv[1]).version' "$ROOT/apps/runbook/src-tauri/tauri.conf.json")}"

# One timestamp for everything the build writes: the commit's, or the caller's.
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH
export TZ=UTC LC_ALL=C.UTF-8

# Absolute paths in panic messages and debug info would tie the binary to this
# machine's Cargo home, the target dir and the checkout. The first two are the
# same for every clone here, so RUSTFLAGS (which Cargo hashes into each
# crate's fingerprint) can name them and a new clone reuses the release build;
# the checkout's path is mapped by a RUSTC_WRAPPER, which is not hashed.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$CARGO_TARGET_DIR=/target"
export RUSTFLAGS
[ -z "${RUSTC_WRAPPER:-}" ] || die "scripts/package.sh sets RUSTC_WRAPPER itself (got '$RUSTC_WRAPPER')"
export RUSTC_WRAPPER="$ROOT/scripts/rustc-remap-root.sh" CONVOY_REMAP_ROOT="$ROOT"

triple="$(rustc -vV | sed -n 's/^host: //p')"
export TAURI_ENV_TARGET_TRIPLE="$triple"

step "compile the sidecar for $triple" >&2
CONVOY_APP_VERSION="$app_version" bash "$ROOT/scripts/compile-sidecar.sh" >/dev/null

# The externalBin only for packaging: debug builds run the sidecar's TypeScript.
overlay="{\"bundle\":{\"externalBin\":[\"binaries/runbook-sidecar\"]}"
[ -z "$version" ] || overlay="$overlay,\"version\":\"$version\""
overlay="$overlay}"
# CONVOY_PACKAGE_CONFIG: one more overlay, merged last (the update tests pass
# their throwaway signing key's pubkey and createUpdaterArtifacts with it).
extra=()
[ -z "${CONVOY_PACKAGE_CONFIG:-}" ] || extra=(--config "$CONVOY_PACKAGE_CONFIG")

bundle_dir="$CARGO_TARGET_DIR/release/bundle"
# Only this run's packages are printed, so stale ones from another version go.
rm -rf "$bundle_dir/deb" "$bundle_dir/rpm"

# CONVOY_PACKAGE_BUNDLES: which packages (the update tests need only the .deb).
bundles="${CONVOY_PACKAGE_BUNDLES:-deb,rpm}"
[[ "$bundles" =~ ^(deb|rpm)(,(deb|rpm))*$ ]] || die "CONVOY_PACKAGE_BUNDLES must list deb and/or rpm (got '$bundles')"

step "tauri build (release: UI, shell, $bundles)" >&2
started=$(date +%s)
(cd "$ROOT/apps/runbook/src-tauri" && tauri build --ci --bundles "$bundles" --config "$overlay" "${extra[@]}") >&2
printf 'packaged in %d s\n' "$(($(date +%s) - started))" >&2

# Tauri's .deb is gzip-compressed with every file stamped with the build's
# time. Rebuilt by dpkg-deb: the shell stripped, every file dated
# SOURCE_DATE_EPOCH, owned by root, in name order, xz-compressed (the sidecar,
# Bun's runtime inside, is 110 MB: gzip leaves 58 MB, xz -9 42). The thread
# count is fixed: xz's output depends on whether it runs threaded. md5sums and
# Installed-Size are made again for the stripped shell, and so is a signature
# the build made.
repack_deb() {
  local deb=$1 tree root size
  tree="$(mktemp -d)"
  root="$tree/root"
  dpkg-deb --raw-extract "$deb" "$root"
  # The shell's symbol table is 5 MB nobody installs for. Not the sidecar's:
  # Bun keeps the compiled program inside its ELF file, and strip drops it.
  strip "$root/usr/bin/runbook"
  (cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
  size="$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)"
  sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$root/DEBIAN/control"
  find "$root" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --root-owner-group -Zxz "-z${CONVOY_DEB_XZ_LEVEL:-9}" --threads-max=2 --build "$root" "$deb.new" >&2
  mv "$deb.new" "$deb"
  rm -rf "$tree"
  if [ -f "$deb.sig" ]; then
    tauri signer sign --app-version "$app_version" "$deb" >&2
  fi
}

step "repack the .deb (reproducible, xz)" >&2
started=$(date +%s)
for deb in "$bundle_dir"/deb/*.deb; do
  [ -f "$deb" ] && repack_deb "$deb"
done
printf 'repacked in %d s\n' "$(($(date +%s) - started))" >&2

# Each version's packages in a directory of their own, so building another
# version (the update tests build two) leaves these where they were.
out="$CARGO_TARGET_DIR/packages/$app_version"
rm -rf "$out"
mkdir -p "$out"
for package in "$bundle_dir"/deb/*.deb "$bundle_dir"/deb/*.deb.sig "$bundle_dir"/rpm/*.rpm "$bundle_dir"/rpm/*.rpm.sig; do
  [ -f "$package" ] && cp "$package" "$out/"
done

found=0
for package in "$out"/*.deb "$out"/*.rpm; do
  [ -f "$package" ] || continue
  echo "$package"
  found=1
done
[ "$found" = 1 ] || die "tauri build wrote no package under $bundle_dir"
