#!/usr/bin/env bash
# Installs the SurrealDB server (`surreal`) that the scale-out test starts, once, into a tools
# directory outside the clone; prints its path. Skips the build when that version is there.
# Sourced by setup.sh in test mode (exports RONDO_SURREAL_BIN), or run on its own.
# RONDO_TOOLS_DIR: where tools go (default /var/tmp/rondo-tools).
# RONDO_SURREAL_FEATURES: storage engines to build in (default storage-mem; add
#   storage-surrealkv for a persistent store, storage-tikv for TiKV).
set -euo pipefail
_surreal_install() {
  local root crate tools features stamp bin started
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  crate="$root/scripts/surreal-server"
  tools="${RONDO_TOOLS_DIR:-/var/tmp/rondo-tools}"
  features="${RONDO_SURREAL_FEATURES:-storage-mem}"
  bin="$tools/bin/surreal"
  stamp="$tools/surreal.installed"
  # What was installed: the crate's lock (versions) and the features; rebuild when either moved.
  local want
  want="$(cat "$crate/Cargo.lock" "$crate/Cargo.toml" "$crate/main.rs" | sha256sum | cut -c1-16) $features"
  if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "$bin"
    return 0
  fi
  printf '\033[1m[setup]\033[0m %s\n' "building the SurrealDB server ($features, debug) into $tools: up to 40 minutes on 2 cores" >&2
  mkdir -p "$tools"
  started=$(date +%s)
  # Its own target dir (big): removed after the install.
  local args=(install -q --path "$crate" --debug --root "$tools" --force
    --no-default-features --features "$features")
  CARGO_TARGET_DIR="$tools/build" CARGO_INCREMENTAL=0 cargo "${args[@]}" --locked \
    || CARGO_TARGET_DIR="$tools/build" CARGO_INCREMENTAL=0 cargo "${args[@]}"
  rm -rf "$tools/build"
  echo "$want" > "$stamp"
  printf '\033[1m[setup]\033[0m %s\n' "SurrealDB server built in $(( $(date +%s) - started )) s" >&2
  echo "$bin"
}
RONDO_SURREAL_BIN="$(_surreal_install)"
export RONDO_SURREAL_BIN
if [ "${BASH_SOURCE[0]}" = "$0" ]; then echo "$RONDO_SURREAL_BIN"; fi
