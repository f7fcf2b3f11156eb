#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then download a torrent
# from a local swarm of libtorrent seeders on loopback, and check the result
# byte for byte. Nothing leaves the machine.
# Usage: tools/demo.sh [SIZE_MiB] [SEEDERS]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-512}"
seeders="${2:-4}"

bash tools/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
fluxo="$PWD/build/release/tools/fluxo"

work="$(mktemp -d "${TMPDIR:-/tmp}/fluxo-demo-XXXXXX")"
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -n "${seed_pid:-}" ] && wait "$seed_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/data"
echo "== making a ${size_mib} MiB payload and its torrent"
head -c "$((size_mib * 1024 * 1024 - 12345))" /dev/urandom > "$work/data/payload.bin"
"$fluxo" create "$work/data/payload.bin" -o "$work/demo.torrent" -q
"$fluxo" info "$work/demo.torrent" | head -5

echo "== starting ${seeders} libtorrent seeders on 127.0.40.1..${seeders}"
mkfifo "$work/seed-in"
/usr/bin/python3 tools/lt_swarm.py seed "$work/demo.torrent" "$work/data" --count "$seeders" \
  --ip-base 127.0.40. < "$work/seed-in" > "$work/seeders.txt" 2> "$work/seeders.log" &
seed_pid=$!
exec 3> "$work/seed-in"  # the seeders run until this closes
for _ in $(seq 100); do grep -q '^ready' "$work/seeders.txt" && break; sleep 0.2; done
grep -q '^ready' "$work/seeders.txt" || { cat "$work/seeders.log"; exit 1; }
peers=()
while read -r kind addr; do [ "$kind" = seeder ] && peers+=(--peer "$addr"); done < "$work/seeders.txt"

echo "== fluxo download"
"$fluxo" download "$work/demo.torrent" -o "$work/out" "${peers[@]}"
cmp "$work/data/payload.bin" "$work/out/payload.bin"
echo "== verified: the download is byte-identical to the original"
