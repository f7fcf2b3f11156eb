// Magnet URIs for BitTorrent (BEP 9 and BEP 53): xt=urn:btih in hex or
// base32, dn, tr, x.pe, ws, so. A magnet naming only a v2 hash (urn:btmh) is
// recognised and refused until v2 lands. Parsing is bounded in length and in
// parameter count; every error names the parameter it is about.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace fluxo {

struct MagnetLimits {
  std::size_t max_length = 64 * 1024;
  std::size_t max_params = 500;
  std::uint32_t max_file_index = 10'000'000;  // in 'so'
};

struct Magnet {
  InfoHash info_hash;
  std::string display_name;        // dn
  std::vector<std::string> trackers;  // tr, in order, de-duplicated
  std::vector<std::string> peers;     // x.pe, "host:port" or "[v6]:port"
  std::vector<std::string> web_seeds; // ws
  // so (BEP 53): inclusive ranges of file indices, in the order given.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> select_only;
  std::vector<std::string> warnings;
};

bool looks_like_magnet(std::string_view text);
Result<Magnet> parse_magnet(std::string_view uri, const MagnetLimits& limits = {});

}  // namespace fluxo
