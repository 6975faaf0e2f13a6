#!/usr/bin/env bash
# Runs every libFuzzer target in <build-dir> for FUZZ_SECONDS each, starting from its seed corpus
# in fuzz/corpus/<target>/ (docs/fuzzing.md). FUZZ_JOBS targets run at once (default: one per
# core; each target is single-threaded), so CI gets a full minute per target in a third of the
# time. Inputs the fuzzer finds go to <build-dir>/corpus, never into the repository; crashes go to
# <build-dir>/artifacts. Exits non-zero when any target crashed or failed a property, after
# running them all.
set -uo pipefail
build=${1:?usage: run-fuzz.sh BUILD_DIR}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
root="$(cd "$(dirname "$0")/.." && pwd)"
targets=(event work_item error_details history codec input_validation schedule_spec)

run_target() {
  local t=$1 work="$build/corpus/$1"
  mkdir -p "$work"
  "$build/fuzz_$t" "$work" "$root/fuzz/corpus/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" >"$build/fuzz_$t.log" 2>&1
  echo $? >"$build/fuzz_$t.status"
}

mkdir -p "$build/artifacts"
echo "== ${#targets[@]} fuzz targets, ${seconds} s each, ${jobs} at a time"
running=0
for t in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n
    ((running--))
  fi
  run_target "$t" &
  ((running++))
done
wait

failed=()
for t in "${targets[@]}"; do
  echo -n "fuzz_$t: "
  if [[ "$(cat "$build/fuzz_$t.status" 2>/dev/null)" != "0" ]]; then
    failed+=("$t")
    echo "FAILED"
    tail -n 40 "$build/fuzz_$t.log"
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$build/fuzz_$t.log" | tr '\n' ' '
  echo
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: failures in: ${failed[*]} (inputs in $build/artifacts, logs in $build/fuzz_<target>.log)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds} s each without a failure"
