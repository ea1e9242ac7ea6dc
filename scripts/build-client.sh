#!/usr/bin/env bash
# Builds the hydrating WASM client into target/site:
#   cargo (wasm32, profile wasm-release: fat LTO, opt-level z, stripped)
#   → wasm-bindgen (no name or producers section)
#   → only when RONDO_WASM_OPT_FLAGS is set (e.g. "-Oz"): wasm-opt with those flags (binaryen
#     from npm, scripts/build-tools; Debian's binaryen 108 corrupts the externref tables
#     wasm-bindgen 0.2.13x emits, so it is never used). Off by default: measured on this app,
#     -Oz makes the file 11% smaller raw but 13% larger gzipped and 11% larger with brotli, and
#     the compressed size is what browsers download (BENCHMARKS.md, "Client bundle").
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
WASM_OPT_FLAGS="${RONDO_WASM_OPT_FLAGS:-}"
cd "$ROOT"
if [ -n "$WASM_OPT_FLAGS" ] && [ ! -x "$WASM_OPT" ]; then
  echo "wasm-opt not found at $WASM_OPT: run scripts/setup.sh" >&2
  exit 1
fi
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
if [ ! -f "$OUT/rondo.wasm" ] || [ "$WASM" -nt "$STAMP" ] || [ "$ROOT/scripts/build-client.sh" -nt "$STAMP" ] \
  || [ "$(cat "$OUT/.wasm-opt-flags" 2>/dev/null)" != "$WASM_OPT_FLAGS" ]; then
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$OUT" --out-name rondo "$WASM"
  if [ -n "$WASM_OPT_FLAGS" ]; then
    # The features rustc's wasm32 target and wasm-bindgen's output use (externref tables etc.).
    # shellcheck disable=SC2086 # several flags
    "$WASM_OPT" $WASM_OPT_FLAGS --strip-debug --strip-producers \
      --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
      --enable-sign-ext --enable-mutable-globals --enable-multivalue \
      "$OUT/rondo_bg.wasm" -o "$OUT/rondo.wasm"
  else
    cp "$OUT/rondo_bg.wasm" "$OUT/rondo.wasm"
  fi
  printf '%s' "$WASM_OPT_FLAGS" > "$OUT/.wasm-opt-flags"
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
