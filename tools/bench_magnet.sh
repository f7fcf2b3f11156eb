#!/usr/bin/env bash
# fluxo against aria2c on a magnet link: a generated file (default 64 MiB)
# seeded by two libtorrent seeders (tools/lt_swarm.py) announced to an HTTP
# opentracker, all on loopback (127.0.66.x). Each client fetches the
# metadata, then the data, in turn, ROUNDS times (default 2); every result is
# compared byte for byte. Prints wall time, CPU seconds and peak RSS.
# Usage: tools/bench_magnet.sh [SIZE_MIB] [ROUNDS]   (run as root: opentracker -u nobody)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
fluxo="${FLUXO:-$src/build/release/tools/fluxo}"
size_mib="${1:-64}"
rounds="${2:-2}"
work="$(mktemp -d /tmp/fluxo-magnet-XXXXXX)"
trap 'exec 3>&- 4>&- 2>/dev/null; pkill -f "lt_swarm.py seed $work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
mkdir -p data ot && chmod 755 "$work" ot
head -c $((size_mib << 20)) /dev/urandom > data/payload.bin
tracker=http://127.0.66.250:6969/announce
"$fluxo" create data/payload.bin -o payload.torrent -t "$tracker" -q
hash=$("$fluxo" info payload.torrent --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["info_hash"])')
echo "$hash" > ot/whitelist && chmod 644 ot/whitelist
# Both helpers end when our end of their stdin closes (at exit).
exec 3> >(sh -c "opentracker -i 127.0.66.250 -p 6969 -P 6969 -d $work/ot -u nobody -w /whitelist & pid=\$!; cat >/dev/null; kill \$pid" > ot.log 2>&1)
exec 4> >(/usr/bin/python3 "$src/tools/lt_swarm.py" seed "$work/payload.torrent" "$work/data" --count 2 --ip-base 127.0.66. > seed.log 2>&1)
for _ in $(seq 300); do grep -q ready seed.log 2>/dev/null && break; sleep 0.2; done
grep -q ready seed.log || { echo "seeders did not start" >&2; cat seed.log >&2; exit 1; }
sleep 2  # their first announce
magnet="magnet:?xt=urn:btih:$hash&tr=http%3A%2F%2F127.0.66.250%3A6969%2Fannounce"
for round in $(seq "$rounds"); do
  for who in aria2c fluxo; do
    rm -rf "out-$who"
    if [ "$who" = fluxo ]; then
      /usr/bin/time -f "$who round $round: %e s wall, %U+%S s CPU, %M KiB peak RSS" \
        "$fluxo" download "$magnet" -o "out-$who" --listen 127.0.66.5 --quiet
    else
      /usr/bin/time -f "$who round $round: %e s wall, %U+%S s CPU, %M KiB peak RSS" \
        timeout 120 aria2c --dir="out-$who" --seed-time=0 --enable-dht=false --enable-dht6=false \
        --bt-enable-lpd=false --console-log-level=error --summary-interval=0 --enable-color=false \
        --file-allocation=none --bt-save-metadata=false --listen-port=7399 -q "$magnet"
    fi
    cmp data/payload.bin "out-$who/payload.bin" && echo "  $who: same bytes"
  done
done
