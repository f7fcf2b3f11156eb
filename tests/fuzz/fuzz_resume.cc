// libFuzzer target: resume data (a file on disk that may be truncated, random
// or written by another version), decoded against a fixed small torrent.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bencode_value.h"
#include "core/resume.h"

namespace {

const fluxo::Metainfo& torrent() {
  static const fluxo::Metainfo m = [] {
    using fluxo::bencode::Value;
    Value::Dict info{{"name", "f"}, {"piece length", 16384}, {"length", 100000},
                     {"pieces", std::string(7 * 20, 'h')}};
    return *fluxo::parse_metainfo(fluxo::bencode::encode(Value(Value::Dict{{"info", info}})));
  }();
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = fluxo::decode_resume(in, torrent());
  if (!r) return 0;
  // Whatever is accepted fits the torrent and survives a round trip.
  if (r->pieces.size() != torrent().piece_count() || r->files.size() != torrent().files.size()) __builtin_trap();
  if (!fluxo::decode_resume(fluxo::encode_resume(*r), torrent())) __builtin_trap();
  return 0;
}
