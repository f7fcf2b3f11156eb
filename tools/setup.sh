#!/usr/bin/env bash
# Installs the Debian packages fluxo needs to build, test, fuzz and benchmark.
# Idempotent and quick on a machine that already has them: apt is only asked
# for the packages that are missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtbb-dev libpoco-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3-libtorrent opentracker aria2 openssl
  gdb  # stacks of a program a test finds hung (tests/support/subprocess.cc)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present" >&2
fi
