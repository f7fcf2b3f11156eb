// libFuzzer target: the bencode decoder, plus a walk of everything it accepted
// and a canonical re-encode that must decode again.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/bencode.h"
#include "core/bencode_value.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  fluxo::bencode::Limits limits;
  limits.max_depth = 64;
  auto doc = fluxo::bencode::decode(in, limits);
  if (!doc) return 0;
  std::string again = fluxo::bencode::encode(fluxo::bencode::to_value(doc->root()));
  auto redo = fluxo::bencode::decode(again, limits);
  if (!redo || !redo->canonical()) __builtin_trap();
  if (doc->canonical() && again != in) __builtin_trap();
  return 0;
}
