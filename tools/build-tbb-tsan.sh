#!/usr/bin/env bash
# Builds oneTBB (Debian's own source package, same version as libtbb-dev)
# with ThreadSanitizer into build/tbb-tsan, for the tsan preset. Debian's
# libtbb is not instrumented, so TSan cannot see its synchronisation and
# reports every hand-over through a flow graph as a race; with this build it
# sees them. Idempotent: does nothing when the library is already there.
#
# The source comes from the mirrors the machine already uses. When apt knows
# no source for onetbb, the machine's own `deb` entries (one-line .list files
# and deb822 .sources files alike) are turned into `deb-src` entries in a
# private apt configuration under build/tbb-src/apt: no host is named here,
# and the system's sources and package lists are left as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="$PWD/build/tbb-tsan"
[ -f "$prefix/lib/libtbb.so" ] && { echo "tbb-tsan: present" >&2; exit 0; }

work="$PWD/build/tbb-src"
mkdir -p "$work"

# The deb-src twins of the machine's deb entries, as apt configures them.
derive_sources() {
  local list="$1" parts="$2" out="$3"
  mkdir -p "$out/sources.list.d"
  # One-line format: "deb [options] URI SUITE COMPONENT..." becomes deb-src.
  {
    for f in "$list" "$parts"*.list; do
      [ -f "$f" ] || continue
      sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f"
    done
  } > "$out/sources.list"
  # deb822: every enabled stanza whose Types include deb, with Types: deb-src.
  local n=0
  for f in "$parts"*.sources; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    awk 'BEGIN { RS = ""; ORS = "\n" }
      {
        k = split($0, line, "\n"); types = ""; enabled = 1; rest = ""
        for (i = 1; i <= k; i++) {
          if (line[i] ~ /^[Tt][Yy][Pp][Ee][Ss]:/) { types = line[i]; sub(/^[^:]*:/, "", types); continue }
          if (tolower(line[i]) ~ /^enabled:[ \t]*no/) enabled = 0
          rest = rest line[i] "\n"
        }
        if (enabled && (" " types " ") ~ /[ \t]deb[ \t]/) printf "Types: deb-src\n%s\n", rest
      }' "$f" > "$out/sources.list.d/$n-$(basename "$f")"
  done
  if ! grep -qs '^deb-src' "$out/sources.list" && ! grep -qs '^Types: deb-src' "$out/sources.list.d/"*.sources; then
    echo "tbb-tsan: apt has no deb entries to take sources from ($list, $parts)" >&2
    exit 1
  fi
}

if [ ! -d "$(ls -d "$work"/onetbb-*/ 2>/dev/null | head -1)" ]; then
  apt_opts=()
  if ! apt-cache showsrc onetbb 2>/dev/null | grep -q '^Package: onetbb'; then
    eval "$(apt-config shell sources_list Dir::Etc::SourceList/f source_parts Dir::Etc::SourceParts/d)"
    apt_dir="$work/apt"
    rm -rf "$apt_dir"
    mkdir -p "$apt_dir/lists/partial"
    derive_sources "$sources_list" "$source_parts" "$apt_dir"
    apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
              -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
              -o "APT::Sandbox::User=root")
    # A repository that publishes no sources (a vendor's) must not stop us;
    # what matters is that onetbb's source is found below.
    apt-get "${apt_opts[@]}" update -qq || echo "tbb-tsan: some source indexes failed to download" >&2
  fi
  (cd "$work" && apt-get "${apt_opts[@]}" source -qq onetbb >/dev/null)
fi
srcdir=$(ls -d "$work"/onetbb-*/ | head -1)
cmake -S "$srcdir" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_TEST=OFF \
  -DTBB_EXAMPLES=OFF -DTBBMALLOC_BUILD=OFF -DTBB_SANITIZE=thread -DTBB_STRICT=OFF \
  -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$work/build"
cmake --install "$work/build" >/dev/null
echo "tbb-tsan: installed in $prefix" >&2
