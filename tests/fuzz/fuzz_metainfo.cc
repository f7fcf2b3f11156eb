// libFuzzer target: .torrent parsing and validation. Every accepted torrent
// must satisfy the invariants the rest of the client relies on.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/metainfo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = fluxo::parse_metainfo(in);
  if (!m) return 0;
  std::int64_t offset = 0;
  for (const auto& f : m->files) {
    if (f.size < 0 || f.offset != offset) __builtin_trap();
    if (f.path.empty() || f.path.front() == '/') __builtin_trap();
    if (f.path.find("..") != std::string::npos) {
      // ".." may appear inside a name ("a..b") but never as a component.
      std::string_view p = f.path;
      for (std::size_t s = 0; s <= p.size();) {
        auto e = p.find('/', s);
        if (p.substr(s, e - s) == "..") __builtin_trap();
        if (e == std::string_view::npos) break;
        s = e + 1;
      }
    }
    if (f.path.find('\0') != std::string::npos) __builtin_trap();
    offset += f.size;
  }
  if (offset != m->total_size || m->total_size <= 0) __builtin_trap();
  std::int64_t pieces = (m->total_size - 1) / m->piece_length + 1;
  if (pieces != m->piece_count()) __builtin_trap();
  return 0;
}
