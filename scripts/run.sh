#!/usr/bin/env bash
# Installs what is missing, builds Rondo in release mode and runs it on the embedded database
# (data in ./data, http://127.0.0.1:3000). Extra arguments go to the server binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" run
cd "$ROOT"
echo "[run] building the client (WASM)…" >&2
scripts/build-client.sh
echo "[run] building the server (release)…" >&2
cargo build -q --release -p server --bin rondo
export RONDO_SITE_ROOT="${RONDO_SITE_ROOT:-$ROOT/target/site}"
exec "${CARGO_TARGET_DIR:-$ROOT/target}/release/rondo" "$@"
