#!/usr/bin/env bash
# Runs every benchmark program of a release build and appends its JSON lines to $BENCH_OUT.
set -euo pipefail
build_dir=${1:?usage: run-bench.sh BUILD_DIR}
out=${BENCH_OUT:-$build_dir/bench-results.jsonl}
: >"$out"
shopt -s nullglob
ran=0
for bench in "$build_dir"/bench/bench_*; do
  [[ -x "$bench" ]] || continue
  echo "run-bench: $(basename "$bench")" >&2
  "$bench" | tee -a "$out"
  ran=$((ran + 1))
done
if [[ $ran -eq 0 ]]; then
  echo "run-bench: no benchmark programs were built in $build_dir/bench" >&2
  exit 1
fi
echo "run-bench: $ran programs; results in $out" >&2
