#!/usr/bin/env bash
# Installs the Debian packages duroxide-cpp needs to build, test and benchmark, including libpq and
# the PostgreSQL 15 server the PostgreSQL store's tests start for themselves (scripts/pg-test-server.sh).
# Only missing packages are installed; `apt-get update` runs only when something is missing.
# Quiet when everything is present. Exits non-zero with a clear message when it cannot install.
set -euo pipefail

PACKAGES=(
  g++ cmake make pkg-config
  nlohmann-json3-dev        # JSON: typed I/O and the event wire format
  libspdlog-dev libfmt-dev  # structured logging
  libsqlite3-dev            # embedded store
  libpq-dev                 # PostgreSQL store (libpq, used directly)
  postgresql-15             # server binaries for the throwaway test server (make test)
  libgtest-dev libgmock-dev # tests
  libbenchmark-dev          # microbenchmarks
  libcli11-dev              # the `duroxide` command-line tool's argument parsing (tools/cli)
  dpkg-dev file             # `make package`: dpkg-shlibdeps (and file, which CPack runs) derive the .deb's Depends
  libcpp-httplib-dev        # HTTP server of the runtime's /metrics endpoint and of the web dashboard (tools/dashboard)
  chromium                  # the headless browser the dashboard's browser test drives (tests/browser)
  clang-format              # code formatting check
  clang-14 libclang-rt-14-dev  # libFuzzer targets (make fuzz)
)

# The browser test installs playwright-core with npm (tests/browser). Any node and npm will do, so
# Debian's are installed only when no npm is on PATH (a machine may have newer ones of its own).
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: error: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
  echo "install-deps: error: 'apt-get update' failed; cannot install: ${missing[*]}" >&2
  exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  echo "install-deps: error: 'apt-get install' failed for: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: done"
