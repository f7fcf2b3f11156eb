#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a while
# on a scratch copy of its seed corpus. Any crash fails the run.
# Usage: tools/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"

bash tools/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
work="$(mktemp -d "${TMPDIR:-/tmp}/fluxo-fuzz-XXXXXX")"
trap 'rm -rf "$work"' EXIT
for target in bencode metainfo magnet resume tracker_reply udp_tracker_reply extension_handshake metadata_message \
    pex_message metadata_assembler file_selection mse wire_stream upload_requests; do
  mkdir -p "$work/$target"
  echo "fuzz_$target: ${seconds}s"
  build/fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -print_final_stats=0 "$work/$target" "tests/fuzz/corpus/$target" 2>"$work/$target.log" \
    || { tail -40 "$work/$target.log"; exit 1; }
  tail -1 "$work/$target.log"
done
