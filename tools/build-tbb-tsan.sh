#!/usr/bin/env bash
# Builds oneTBB (Debian's own source package, same version as libtbb-dev)
# with ThreadSanitizer into build/tbb-tsan, for the tsan preset. Debian's
# libtbb is not instrumented, so TSan cannot see its synchronisation and
# reports every hand-over through a flow graph as a race; with this build it
# sees them. Idempotent: does nothing when the library is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="$PWD/build/tbb-tsan"
[ -f "$prefix/lib/libtbb.so" ] && { echo "tbb-tsan: present" >&2; exit 0; }

src_list=/etc/apt/sources.list.d/fluxo-deb-src.sources
if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > "$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
fi
work="$PWD/build/tbb-src"
mkdir -p "$work"
if [ ! -d "$work"/onetbb-* ]; then
  (cd "$work" && apt-get source -qq onetbb >/dev/null 2>&1)
fi
srcdir=$(ls -d "$work"/onetbb-*/ | head -1)
cmake -S "$srcdir" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_TEST=OFF \
  -DTBB_EXAMPLES=OFF -DTBBMALLOC_BUILD=OFF -DTBB_SANITIZE=thread -DTBB_STRICT=OFF \
  -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$work/build"
cmake --install "$work/build" >/dev/null
echo "tbb-tsan: installed in $prefix" >&2
