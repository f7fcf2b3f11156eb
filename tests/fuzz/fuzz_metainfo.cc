// libFuzzer target: .torrent parsing and validation. Every accepted torrent
// must satisfy the invariants the rest of the client relies on.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/metainfo.h"

namespace {

// A path that can only resolve inside the download directory.
bool safe_path(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.find('\0') != std::string_view::npos) return false;
  for (std::size_t s = 0; s <= p.size();) {
    auto e = p.find('/', s);
    auto c = p.substr(s, e - s);
    if (c.empty() || c == "." || c == "..") return false;
    if (e == std::string_view::npos) break;
    s = e + 1;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = fluxo::parse_metainfo(in);
  if (!m) return 0;
  std::int64_t offset = 0;
  std::unordered_set<std::string> paths, dirs;
  for (const auto& f : m->files) {
    if (f.size < 0 || f.offset != offset) __builtin_trap();
    if (!safe_path(f.path)) __builtin_trap();
    if (m->multi_file && f.path.compare(0, m->name.size() + 1, m->name + "/") != 0) __builtin_trap();
    if (f.symlink) {
      if (f.size != 0) __builtin_trap();
      if (!f.symlink_target.empty() &&
          (!safe_path(f.symlink_target) || f.symlink_target.compare(0, m->name.size() + 1, m->name + "/") != 0)) {
        __builtin_trap();
      }
    }
    if (!f.pad) {
      // No two files on one path (ignoring case), no file where a directory is.
      if (!paths.insert(lower(f.path)).second) __builtin_trap();
      for (auto s = f.path.find('/'); s != std::string::npos; s = f.path.find('/', s + 1)) {
        dirs.insert(lower(std::string_view(f.path).substr(0, s)));
      }
    }
    offset += f.size;
  }
  for (const auto& d : dirs) {
    if (paths.count(d)) __builtin_trap();
  }
  if (offset != m->total_size || m->total_size <= 0) __builtin_trap();
  std::int64_t pieces = (m->total_size - 1) / m->piece_length + 1;
  if (pieces != m->piece_count()) __builtin_trap();
  return 0;
}
