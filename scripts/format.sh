#!/usr/bin/env bash
# clang-format every C++ file of the project; with --check, fail (listing the files) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.hpp' '*.cpp' | grep -v '^build')
if [[ "${1:-}" == "--check" ]]; then
  bad=()
  for f in "${files[@]}"; do
    [[ -f "$f" ]] || continue
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
  done
  if [[ ${#bad[@]} -gt 0 ]]; then
    echo "format-check: these files need clang-format (run 'make format'):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format-check: ${#files[@]} files formatted"
else
  clang-format -i "${files[@]}"
fi
