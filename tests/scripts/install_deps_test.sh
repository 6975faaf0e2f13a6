#!/usr/bin/env bash
# Tests scripts/install-deps.sh against fake dpkg-query / apt-get / id commands on PATH:
#   all-present   -> exit 0, prints nothing, never calls apt-get
#   missing-ok    -> runs apt-get update once, installs exactly the missing packages, exit 0
#   update-fails  -> non-zero exit and a message naming the packages it could not install
#   install-fails -> likewise
#   fuzz-toolchain -> the fuzz build's clang and libFuzzer runtime are among the packages
#   postgres      -> libpq and the PostgreSQL 15 server (for the test server) are among the packages
#   dashboard     -> cpp-httplib and chromium (the dashboard and its browser test) are among the packages
#   npm-missing   -> with no npm on PATH, Debian's nodejs and npm are installed
#   npm-present   -> with an npm on PATH, nodejs and npm are not asked for even if dpkg lacks them
set -uo pipefail
script="$(cd "$(dirname "$0")/../.." && pwd)/scripts/install-deps.sh"
case_name=${1:?usage: install_deps_test.sh CASE}
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
log="$fake/apt.log"
: >"$log"

# dpkg-query: every package is installed except those listed in $fake/missing.
cat >"$fake/dpkg-query" <<FAKE
#!/usr/bin/env bash
pkg="\${@: -1}"
if grep -qx "\$pkg" "$fake/missing" 2>/dev/null; then exit 1; fi
printf 'install ok installed'
FAKE
cat >"$fake/apt-get" <<FAKE
#!/usr/bin/env bash
echo "apt-get \$*" >>"$log"
if [[ "\$1" == update && -f "$fake/fail-update" ]]; then exit 100; fi
if [[ "\$*" == *install* && -f "$fake/fail-install" ]]; then exit 100; fi
exit 0
FAKE
printf '#!/usr/bin/env bash\necho 0\n' >"$fake/id"
chmod +x "$fake"/*

fail() { echo "FAIL ($case_name): $*" >&2; exit 1; }
run() { PATH="$fake:$PATH" bash "$script" >"$fake/out" 2>&1; echo $? >"$fake/rc"; }
# Runs the script with a PATH of the fakes and only bash and grep besides: no npm there.
run_without_npm() {
  mkdir -p "$fake/sys"
  ln -sf "$(command -v bash)" "$fake/sys/bash"
  ln -sf "$(command -v grep)" "$fake/sys/grep"
  PATH="$fake:$fake/sys" "$(command -v bash)" "$script" >"$fake/out" 2>&1
  echo $? >"$fake/rc"
}

case "$case_name" in
  all-present)
    run
    [[ $(cat "$fake/rc") == 0 ]] || fail "exit code $(cat "$fake/rc")"
    [[ ! -s "$fake/out" ]] || fail "expected no output, got: $(cat "$fake/out")"
    [[ ! -s "$log" ]] || fail "apt-get was called: $(cat "$log")"
    ;;
  missing-ok)
    printf 'libfmt-dev\nlibgtest-dev\n' >"$fake/missing"
    run
    [[ $(cat "$fake/rc") == 0 ]] || fail "exit code $(cat "$fake/rc"): $(cat "$fake/out")"
    [[ $(grep -c '^apt-get update' "$log") == 1 ]] || fail "expected one apt-get update: $(cat "$log")"
    grep -q 'install .*libfmt-dev libgtest-dev$' "$log" || fail "did not install exactly the missing: $(cat "$log")"
    grep -q 'libfmt-dev libgtest-dev' "$fake/out" || fail "did not say what it installs: $(cat "$fake/out")"
    ;;
  fuzz-toolchain)
    printf 'clang-14\nlibclang-rt-14-dev\n' >"$fake/missing"
    run
    [[ $(cat "$fake/rc") == 0 ]] || fail "exit code $(cat "$fake/rc"): $(cat "$fake/out")"
    grep -q 'install .*clang-14 libclang-rt-14-dev$' "$log" || fail "did not install the fuzz toolchain: $(cat "$log")"
    ;;
  postgres)
    printf 'libpq-dev\npostgresql-15\n' >"$fake/missing"
    run
    [[ $(cat "$fake/rc") == 0 ]] || fail "exit code $(cat "$fake/rc"): $(cat "$fake/out")"
    grep -q 'install .*libpq-dev postgresql-15$' "$log" || fail "did not install libpq and the server: $(cat "$log")"
    ;;
  dashboard)
    printf 'libcpp-httplib-dev\nchromium\n' >"$fake/missing"
    run
    [[ $(cat "$fake/rc") == 0 ]] || fail "exit code $(cat "$fake/rc"): $(cat "$fake/out")"
    grep -q 'install .*libcpp-httplib-dev chromium$' "$log" || fail "did not install httplib and chromium: $(cat "$log")"
    ;;
  npm-missing)
    printf 'nodejs\nnpm\n' >"$fake/missing"
    run_without_npm
    [[ $(cat "$fake/rc") == 0 ]] || fail "exit code $(cat "$fake/rc"): $(cat "$fake/out")"
    grep -q 'install .*nodejs npm$' "$log" || fail "did not install nodejs and npm: $(cat "$log")"
    ;;
  npm-present)
    printf 'nodejs\nnpm\n' >"$fake/missing"
    printf '#!/usr/bin/env bash\necho 10.0.0\n' >"$fake/npm"
    chmod +x "$fake/npm"
    run
    [[ $(cat "$fake/rc") == 0 ]] || fail "exit code $(cat "$fake/rc"): $(cat "$fake/out")"
    [[ ! -s "$log" ]] || fail "apt-get was called although npm is on PATH: $(cat "$log")"
    ;;
  update-fails | install-fails)
    printf 'libfmt-dev\n' >"$fake/missing"
    touch "$fake/fail-${case_name%-fails}"
    run
    [[ $(cat "$fake/rc") != 0 ]] || fail "expected a non-zero exit"
    grep -q "error: .*libfmt-dev" "$fake/out" || fail "expected an error naming the package, got: $(cat "$fake/out")"
    ;;
  *) fail "unknown case" ;;
esac
echo "ok ($case_name)"
