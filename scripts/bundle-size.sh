#!/usr/bin/env bash
# Prints the size of the built client (scripts/build-client.sh): raw, gzip -9 and brotli -q 11
# bytes of each file named in <site>/hash.txt, as served. Usage: scripts/bundle-size.sh [site]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SITE="${1:-${RONDO_SITE_ROOT:-$ROOT/target/site}}"
[ -f "$SITE/hash.txt" ] || { echo "no $SITE/hash.txt: run scripts/build-client.sh first" >&2; exit 1; }
size() { if [ -f "$1" ]; then stat -c %s "$1"; else echo "-"; fi; }
printf '%-32s %10s %10s %10s\n' file raw gzip brotli
while IFS=': ' read -r kind hash; do
  [ -n "$kind" ] || continue
  f="$SITE/pkg/rondo.$hash.$kind"
  printf '%-32s %10s %10s %10s\n' "$(basename "$f")" "$(size "$f")" "$(size "$f.gz")" "$(size "$f.br")"
done < "$SITE/hash.txt"
