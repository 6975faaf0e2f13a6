#!/usr/bin/env bash
# `make bench-peer`: duroxide itself and our bench/stress on the same workloads, back to back in
# one run on this machine, then the side-by-side table with ratios measured rather than recalled
# (docs/performance.md, "The side-by-side table").
#
# duroxide runs through the peer harness (PEER_DIR, default ../shared/bench/peer beside the
# checkout: the Rust engine through its Node.js addon). The harness needs node >= 18, npm (it
# installs the addon into $TMPDIR/duroxide-peer) and DUROXIDE_NODE_MIRROR, the git dir of a clone
# of microsoft/duroxide-node. With BENCH_PG_URL=postgres://... both engines also run W1, W2 and W4
# on that PostgreSQL database (each run in a fresh schema).
#
# Results: BUILD_DIR/bench-peer/{duroxide,duroxide-cpp}.jsonl and table.md.
set -euo pipefail
build_dir=${1:?usage: run-bench-peer.sh BUILD_DIR}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peer_dir=${PEER_DIR:-$repo/../shared/bench/peer}
if [[ ! -x $peer_dir/run.sh ]]; then
  echo "run-bench-peer: no peer harness at $peer_dir (set PEER_DIR to the folder of its run.sh)" >&2
  exit 2
fi
if [[ -z ${DUROXIDE_NODE_MIRROR:-} ]]; then
  echo "run-bench-peer: set DUROXIDE_NODE_MIRROR to the git dir of a clone of microsoft/duroxide-node" >&2
  exit 2
fi
stress=$build_dir/bench/stress
out_dir=$build_dir/bench-peer
mkdir -p "$out_dir"
theirs=$out_dir/duroxide.jsonl
ours=$out_dir/duroxide-cpp.jsonl
: >"$theirs"
: >"$ours"

# The harness exits non-zero when duroxide lost an instance; its lines still count.
run_peer() { NO_APPEND=1 CONFIGS="2/2" "$peer_dir/run.sh" >>"$theirs" || echo "run-bench-peer: the peer reported failures" >&2; }

echo "run-bench-peer: duroxide W1-W4 (2/2, SQLite)" >&2
WORKLOADS="W1 W2 W3 W4" run_peer
echo "run-bench-peer: duroxide-cpp W1-W4 (defaults, SQLite), W1 at 10,000, W3 at 50/400/10,000" >&2
"$stress" --workload w1 --config defaults >>"$ours"
"$stress" --workload w1 --config defaults --w1-instances 10000 >>"$ours"
"$stress" --workload w2 --config defaults >>"$ours"
"$stress" --workload w3 --config defaults --w3-lengths 50,400,10000 >>"$ours"
"$stress" --workload w4 --config defaults >>"$ours"
if [[ -n ${BENCH_PG_URL:-} ]]; then
  echo "run-bench-peer: duroxide-pg and duroxide-cpp W1, W2, W4 on $BENCH_PG_URL" >&2
  PEER_PG_URL=$BENCH_PG_URL WORKLOADS="W1 W2 W4" run_peer
  for workload in w1 w2 w4; do "$stress" --store "$BENCH_PG_URL" --workload "$workload" --config defaults >>"$ours"; done
fi
"$build_dir/bench/summarize" --ours "$ours" --duroxide "$theirs" | tee "$out_dir/table.md"
