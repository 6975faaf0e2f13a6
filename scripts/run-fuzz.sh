#!/usr/bin/env bash
# Runs every libFuzzer target in <build-dir> for FUZZ_SECONDS each, starting from its seed corpus
# in fuzz/corpus/<target>/ (docs/fuzzing.md). Inputs the fuzzer finds go to <build-dir>/corpus,
# never into the repository; crashes go to <build-dir>/artifacts. Exits non-zero when any target
# crashed or failed a property, after running them all.
set -uo pipefail
build=${1:?usage: run-fuzz.sh BUILD_DIR}
seconds=${FUZZ_SECONDS:-60}
root="$(cd "$(dirname "$0")/.." && pwd)"
targets=(event work_item error_details history codec input_validation)

mkdir -p "$build/artifacts"
failed=()
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  mkdir -p "$work"
  echo "== fuzz_$t for ${seconds} s"
  if ! "$build/fuzz_$t" "$work" "$root/fuzz/corpus/$t" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" >"$build/fuzz_$t.log" 2>&1; then
    failed+=("$t")
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
