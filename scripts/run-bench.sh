#!/usr/bin/env bash
# Runs every benchmark program of a release build and appends its JSON lines to $BENCH_OUT: the
# microbenchmarks (bench_*), then the peer workloads W1-W4 (stress) with both concurrency configs
# at synchronous=NORMAL, W1 at 10,000 instances (steady state), W3 at N = 10,000 beside N = 50,
# W6 (W1 on a big store) with the defaults, and W1-W4 with the defaults at synchronous=FULL. With
# BENCH_PG_URL=postgres://... also W1-W4 and W5 (1, 2, 3 runtime processes) on that PostgreSQL
# database, defaults, each run in a fresh schema. Last, the side-by-side table (bench/summarize)
# against duroxide's recorded figures (bench/duroxide-reference.jsonl), also written to
# BUILD_DIR/bench-table.md; `make bench-peer` measures duroxide in the same run instead.
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
if [[ $ran -eq 0 || ! -x "$build_dir/bench/stress" ]]; then
  echo "run-bench: the benchmark programs were not built in $build_dir/bench" >&2
  exit 1
fi
echo "run-bench: stress (W1-W4, defaults and 4x4, synchronous=NORMAL)" >&2
"$build_dir/bench/stress" --workload all --config all | tee -a "$out"
echo "run-bench: stress (W1 steady state: 10,000 instances)" >&2
"$build_dir/bench/stress" --workload w1 --config defaults --w1-instances 10000 | tee -a "$out"
echo "run-bench: stress (W3 at N = 50 and 10,000: flat turns with the instance cache)" >&2
"$build_dir/bench/stress" --workload w3 --config defaults --w3-lengths 50,10000 | tee -a "$out"
echo "run-bench: stress (W6: W1 on a store of 100,000 sleeping and 100,000 finished instances)" >&2
"$build_dir/bench/stress" --workload w6 --config defaults | tee -a "$out"
echo "run-bench: stress (W1-W4, defaults, synchronous=FULL)" >&2
"$build_dir/bench/stress" --workload all --config defaults --durability full | tee -a "$out"
if [[ -n ${BENCH_PG_URL:-} ]]; then
  echo "run-bench: stress on PostgreSQL (W1-W4 and W5, defaults)" >&2
  "$build_dir/bench/stress" --store "$BENCH_PG_URL" --workload all --config defaults | tee -a "$out"
  "$build_dir/bench/stress" --store "$BENCH_PG_URL" --workload w5 --config defaults | tee -a "$out"
fi
ran=$((ran + 1))
echo "run-bench: $ran programs; results in $out" >&2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$build_dir/bench/summarize" --ours "$out" --duroxide "$repo/bench/duroxide-reference.jsonl" |
  tee "$build_dir/bench-table.md"
