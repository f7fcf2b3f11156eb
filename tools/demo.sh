#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then make a torrent of a
# generated payload and show it. (Becomes a real download on a local swarm
# with the Download issue.)
# Usage: tools/demo.sh [SIZE_MiB]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-256}"

bash tools/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
fluxo=build/release/tools/fluxo

work="$(mktemp -d "${TMPDIR:-/tmp}/fluxo-demo-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/payload/sub"
head -c "$((size_mib * 1024 * 1024 - 12345))" /dev/urandom > "$work/payload/big.bin"
head -c 12345 /dev/urandom > "$work/payload/sub/small.bin"
: > "$work/payload/sub/empty"

echo "== fluxo create (${size_mib} MiB payload)"
start=$(date +%s.%N)
"$fluxo" create "$work/payload" -o "$work/demo.torrent" -t http://127.0.0.1:6969/announce
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v m="$size_mib" 'BEGIN { printf "hashed %d MiB in %.2f s (%.0f MiB/s)\n", m, e - s, m / (e - s) }'
echo
echo "== fluxo info"
"$fluxo" info "$work/demo.torrent"
