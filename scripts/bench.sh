#!/usr/bin/env bash
# Release-build benchmarks that rewrite BENCHMARKS.md: the first and unchanged sync of a
# generated calendar on a local Radicale (with vdirsyncer on the same calendar), the pages at
# 10,000 people and 100,000 meetings, and the matcher and people-list targets.
# Sizes: BENCH_EVENTS (sync: 10,000; pages: 100,000), BENCH_PEOPLE, BENCH_REQUESTS; `scripts/bench.sh sync`
# (or pages, targets) runs one of them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh bench
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(sync pages targets)
for bench in "${benches[@]}"; do
  echo "[bench] $bench" >&2
  cargo bench -p server --bench "$bench"
done
