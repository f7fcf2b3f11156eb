// Tracker announce responses (BEP 3, BEP 23 compact peers, BEP 7 peers6):
// a pure parser of the bencoded body, bounded like every parser of untrusted
// bytes. The HTTP side is net/tracker_client.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace fluxo {

// A peer's address as the tracker gave it. `host` is a numeric IPv4 or IPv6
// literal for compact lists, and may be a name in dictionary lists.
struct PeerAddress {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const PeerAddress&) const = default;
  std::string to_string() const;  // "1.2.3.4:6881" or "[::1]:6881"
};

// Parses "host:port" or "[v6]:port" (port 1..65535).
bool parse_peer_address(std::string_view text, PeerAddress& out);

struct AnnounceResponse {
  std::string warning;
  std::int64_t interval = 1800;  // seconds, clamped to [kMinInterval, kMaxInterval]
  std::int64_t min_interval = 0;
  std::string tracker_id;
  std::int64_t complete = -1;    // seeders, -1 if not given
  std::int64_t incomplete = -1;  // leechers
  std::vector<PeerAddress> peers;
  std::size_t peers_dropped = 0;  // malformed entries (odd length, port 0) skipped
};

// One torrent's figures in a scrape reply (HTTP: BEP 48; UDP: BEP 15).
struct ScrapeFigures {
  std::int64_t seeders = 0;    // 'complete'
  std::int64_t completed = 0;  // 'downloaded': finished downloads ever seen
  std::int64_t leechers = 0;   // 'incomplete'
};

inline constexpr std::int64_t kMinInterval = 30;
inline constexpr std::int64_t kMaxInterval = 24 * 3600;

// Compact peers (BEP 23: 6 bytes each; BEP 7: 18 bytes for IPv6) appended to
// r.peers up to `max_peers`; a partial trailing entry and port 0 counted in
// r.peers_dropped. Shared by the HTTP and UDP (BEP 15) replies.
void parse_compact_peers(std::string_view s, bool v6, std::size_t max_peers, AnnounceResponse& r);

// A 'failure reason' is an error (ErrorCode::protocol_error, the reason as
// message). Peer lists are capped at `max_peers` entries.
Result<AnnounceResponse> parse_announce_response(std::string_view body, std::size_t max_peers = 2000);

// The figures for `info_hash` (20 raw bytes) in an HTTP scrape reply
// (d5:filesd20:<hash>d8:completei..e10:downloadedi..e10:incompletei..eeee);
// a figure the tracker left out is 0. A 'failure reason' is protocol_error,
// a reply without the torrent not_found.
Result<ScrapeFigures> parse_scrape_response(std::string_view body, std::string_view info_hash);

}  // namespace fluxo
