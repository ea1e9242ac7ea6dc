#!/usr/bin/env bash
# Builds the hydrating WASM client into target/site:
#   cargo (wasm32, profile wasm-release: fat LTO, opt-level z, stripped)
#   → wasm-bindgen (no name or producers section)
#   → wasm-opt -Oz (binaryen from npm, scripts/build-tools; Debian's binaryen 108 corrupts the
#     externref tables wasm-bindgen 0.2.13x emits, so it is never used)
#   → content-hashed names pkg/rondo.<hash>.{js,wasm,css}, listed in <site>/hash.txt (the format
#     Leptos's HydrationScripts and HashedStylesheet read)
#   → brotli (.br) and gzip (.gz) siblings, served as they are by the server.
# Plus the public assets. Rebuilds only what changed (cargo decides; the rest follows the WASM).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SITE="${RONDO_SITE_ROOT:-$ROOT/target/site}"
PROFILE=wasm-release
WASM_OPT="${WASM_OPT:-$ROOT/scripts/build-tools/node_modules/.bin/wasm-opt}"
cd "$ROOT"
[ -x "$WASM_OPT" ] || { echo "wasm-opt not found at $WASM_OPT: run scripts/setup.sh" >&2; exit 1; }
command -v brotli >/dev/null || { echo "brotli not found: run scripts/setup.sh" >&2; exit 1; }

cargo build -q -p frontend --lib --target wasm32-unknown-unknown --profile "$PROFILE"
WASM="$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/frontend.wasm"
PKG="$SITE/pkg"
OUT="$TARGET_DIR/client-$PROFILE" # wasm-bindgen + wasm-opt output, before hashing
mkdir -p "$PKG" "$OUT"

hash16() { sha256sum "$1" | cut -c1-16; }
# Copies $1 to pkg/rondo.<hash>.$2 with .br and .gz siblings (skipped when already there).
publish() {
  local src="$1" ext="$2" name
  name="rondo.$(hash16 "$src").$ext"
  if [ ! -f "$PKG/$name.br" ] || [ ! -f "$PKG/$name.gz" ] || ! cmp -s "$src" "$PKG/$name"; then
    cp "$src" "$PKG/$name.tmp" && mv "$PKG/$name.tmp" "$PKG/$name"
    gzip -9 -n -c "$PKG/$name" > "$PKG/$name.gz"
    brotli -q 11 -f -o "$PKG/$name.br" "$PKG/$name"
  fi
  echo "$name"
}

STAMP="$OUT/.built-from"
if [ ! -f "$OUT/rondo.wasm" ] || [ "$WASM" -nt "$STAMP" ] || [ "$ROOT/scripts/build-client.sh" -nt "$STAMP" ]; then
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$OUT" --out-name rondo "$WASM"
  # The features rustc's wasm32 target and wasm-bindgen's output use (externref tables etc.).
  "$WASM_OPT" -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    "$OUT/rondo_bg.wasm" -o "$OUT/rondo.wasm"
  touch "$STAMP"
fi

JS="$(publish "$OUT/rondo.js" js)"
WASM_NAME="$(publish "$OUT/rondo.wasm" wasm)"
CSS="$(publish style/main.css css)"
hash_of() { local n="${1#rondo.}"; echo "${n%%.*}"; }
printf 'js: %s\nwasm: %s\ncss: %s\n' "$(hash_of "$JS")" "$(hash_of "$WASM_NAME")" "$(hash_of "$CSS")" \
  > "$SITE/hash.txt.tmp"
mv "$SITE/hash.txt.tmp" "$SITE/hash.txt"

# Drop older builds (and the unhashed names of before), keeping the one just published.
for f in "$PKG"/rondo*; do
  case "$(basename "$f")" in
    "$JS" | "$JS".* | "$WASM_NAME" | "$WASM_NAME".* | "$CSS" | "$CSS".*) ;;
    *) rm -f "$f" ;;
  esac
done
rm -f "$PKG/.built-from"
cp -r public/. "$SITE/"
