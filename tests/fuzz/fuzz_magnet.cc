// libFuzzer target: magnet URI parsing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/magnet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = fluxo::parse_magnet(in);
  if (!m) return 0;
  for (auto [lo, hi] : m->select_only) {
    if (lo > hi) __builtin_trap();
  }
  return 0;
}
