# Sourced by bench/api.sh and bench/coldstart.sh (after scripts/lib.sh): finds
# the compiled sidecar the way bench/supervisor.sh does. CONVOY_SIDECAR if given,
# else the one scripts/compile-sidecar.sh writes, rebuilt when any of its sources
# is newer. Prints its path, or nothing (and says why on stderr) if it cannot be built.
# shellcheck shell=bash

compiled_sidecar() {
  if [ -n "${CONVOY_SIDECAR:-}" ]; then
    [ -x "$CONVOY_SIDECAR" ] || die "CONVOY_SIDECAR=$CONVOY_SIDECAR is not an executable"
    echo "$CONVOY_SIDECAR"
    return
  fi
  local triple exe
  triple="$(rustc -vV | sed -n 's/^host: //p')"
  exe="$ROOT/apps/runbook/src-tauri/binaries/runbook-sidecar-$triple"
  if [ ! -x "$exe" ] || [ -n "$(find "$ROOT/apps/runbook/sidecar/src" "$ROOT/apps/runbook/sidecar/migrations" \
    "$ROOT/apps/runbook/sidecar/package.json" "$ROOT/packages/sidecar-runtime/src" -newer "$exe" -print -quit)" ]; then
    step "compile the sidecar (missing or older than its sources)" >&2
    if ! bash "$ROOT/scripts/compile-sidecar.sh" >/dev/null; then
      printf 'note: the sidecar did not compile; measuring under Bun only\n' >&2
      return
    fi
  fi
  if [ -x "$exe" ]; then
    echo "$exe"
  else
    printf 'note: no compiled sidecar; measuring under Bun only\n' >&2
  fi
}
