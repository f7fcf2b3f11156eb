#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then run `fluxo bench`: a
# real download on a loopback swarm of fluxo seeders (127.0.77.x), checked
# byte for byte, with throughput, CPU and memory reported. Nothing leaves the
# machine.
# Usage: tools/demo.sh [SIZE] [SEEDERS]     (default: 1GiB from 4 seeders)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-1GiB}"
seeders="${2:-4}"

bash tools/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
exec build/release/tools/fluxo bench --size "$size" --seeders "$seeders"
