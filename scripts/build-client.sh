#!/usr/bin/env bash
# Builds the hydrating WASM client into target/site: cargo (wasm32, opt-level z) → wasm-bindgen →
# gzip, plus the stylesheet and public assets. Rebuilds only what changed (cargo decides).
# No wasm-opt: Debian's binaryen (108) corrupts the externref tables wasm-bindgen 0.2.13x emits.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SITE="${RONDO_SITE_ROOT:-$ROOT/target/site}"
PROFILE=wasm-release
cd "$ROOT"
cargo build -q -p frontend --lib --target wasm32-unknown-unknown --profile "$PROFILE"
WASM="$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/frontend.wasm"
mkdir -p "$SITE/pkg"
STAMP="$SITE/pkg/.built-from"
if [ ! -f "$SITE/pkg/rondo_bg.wasm" ] || [ "$WASM" -nt "$STAMP" ]; then
  wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" --out-name rondo "$WASM"
  gzip -kf9 "$SITE/pkg/rondo_bg.wasm" "$SITE/pkg/rondo.js"
  touch "$STAMP"
fi
cp style/main.css "$SITE/pkg/rondo.css"
gzip -kf9 "$SITE/pkg/rondo.css"
cp -r public/. "$SITE/"
