#!/usr/bin/env bash
# Installs what is missing and runs every test: Rust unit and integration tests (in-memory
# SurrealDB, a real Radicale, and a real SurrealDB server that setup.sh builds once for the
# scale-out test), then the Playwright end-to-end tests in Chromium.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" test
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

echo "[test] formatting and lints" >&2
# rustfmt and clippy come from rustup's toolchain; the client (hydrate, wasm32) is linted with
# the toolchain that has the wasm32 target, when that one has clippy.
lint() { RUSTUP_TOOLCHAIN="$RONDO_LINT_TOOLCHAIN" cargo "$@"; }
lint fmt --all --check
lint clippy -p server --all-targets -- -D warnings
lint clippy -p fake-google --all-targets -- -D warnings
lint clippy -p app --features ssr -- -D warnings
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings
else
  echo "[test] no clippy for the $RONDO_TOOLCHAIN toolchain: skipping the client (hydrate) lints" >&2
fi

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
