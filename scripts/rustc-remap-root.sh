#!/usr/bin/env bash
# RUSTC_WRAPPER for package builds: maps the checkout's path to /convoy in
# what rustc writes (panic locations, debug info), so a package does not depend
# on where the tree was cloned. A wrapper rather than RUSTFLAGS: Cargo hashes
# RUSTFLAGS into every crate's fingerprint, so a flag naming the checkout
# rebuilt every dependency for each new clone; the wrapper is not hashed, and
# only the workspace's own crates (rebuilt anyway for a new path) have the
# checkout's path in them. CONVOY_REMAP_ROOT is set by scripts/package.sh.
set -euo pipefail
rustc="$1"
shift
exec "$rustc" "$@" "--remap-path-prefix=${CONVOY_REMAP_ROOT:?set by scripts/package.sh}=/convoy"
