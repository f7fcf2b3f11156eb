// A small torrent of pseudo-random bytes, built in memory, for unit tests of
// the engine (pieces of `piece_length`, the last one short by `short_by`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bencode_value.h"
#include "core/metainfo.h"
#include "core/sha1.h"

namespace fluxo::test {

struct TinyTorrent {
  TinyTorrent(std::uint32_t pieces, std::int64_t piece_length, std::size_t short_by = 0, std::uint8_t seed = 1) {
    data.resize(static_cast<std::size_t>(pieces * piece_length) - short_by);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 31 + seed + (i >> 12));
    std::string hashes;
    for (std::size_t at = 0; at < data.size(); at += static_cast<std::size_t>(piece_length)) {
      auto d = sha1(std::span(data.data() + at, std::min<std::size_t>(static_cast<std::size_t>(piece_length),
                                                                      data.size() - at)));
      hashes.append(reinterpret_cast<const char*>(d.data()), d.size());
    }
    using bencode::Value;
    Value::Dict info{{"name", "tiny" + std::to_string(seed)}, {"piece length", piece_length},
                     {"length", static_cast<std::int64_t>(data.size())}, {"pieces", hashes}};
    meta = *parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  }
  std::vector<std::uint8_t> data;
  Metainfo meta;
};

}  // namespace fluxo::test
