#!/usr/bin/env bash
# Installs what is missing and runs every test: Rust unit and integration tests (in-memory
# SurrealDB, a real Radicale), then the Playwright end-to-end tests in Chromium.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" test
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

echo "[test] Rust tests" >&2
cargo test --workspace --exclude frontend

echo "[test] building the client and the server for end-to-end tests" >&2
scripts/build-client.sh
cargo build -q -p server --bin rondo
cargo build -q -p fake-google --bin fake-google

echo "[test] end-to-end tests (Chromium)" >&2
export RONDO_BIN="$TARGET_DIR/debug/rondo"
export RONDO_SITE_ROOT="$ROOT/target/site"
node --test --test-concurrency=1 end2end/tests/
