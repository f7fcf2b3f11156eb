// UDP tracker protocol messages (BEP 15): requests encoded, replies parsed.
// Pure functions over bytes, bounded like every parser of untrusted input;
// the socket, retransmission and connection ids are net/udp_tracker.h.
//
// Every number is big-endian. A reply is judged only against what we can
// know from its bytes: action, transaction id and length; the caller checks
// that the transaction id is one it sent and the source the tracker's.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tracker_response.h"
#include "core/types.h"

namespace fluxo::udp_tracker {

inline constexpr std::uint64_t kProtocolId = 0x41727101980;
inline constexpr std::size_t kConnectSize = 16;
inline constexpr std::size_t kAnnounceSize = 98;
inline constexpr std::size_t kMaxScrapeHashes = 74;  // what fits a 1500-byte datagram (BEP 15)
inline constexpr std::size_t kMaxReply = 65536;      // bytes read per datagram
inline constexpr std::size_t kMaxErrorMessage = 1024;

enum class Action : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };
enum class Event : std::uint32_t { none = 0, completed = 1, started = 2, stopped = 3 };

struct Announce {
  std::uint64_t connection_id = 0;
  std::uint32_t transaction_id = 0;
  InfoHash info_hash;
  std::array<std::uint8_t, 20> peer_id{};
  std::int64_t downloaded = 0;
  std::int64_t left = 0;
  std::int64_t uploaded = 0;
  Event event = Event::none;
  std::uint32_t key = 0;
  std::int32_t num_want = -1;  // -1: the tracker's default
  std::uint16_t port = 0;
};

std::array<std::uint8_t, kConnectSize> encode_connect(std::uint32_t transaction_id);
std::array<std::uint8_t, kAnnounceSize> encode_announce(const Announce& a);
// At most kMaxScrapeHashes hashes (more are not sent).
std::vector<std::uint8_t> encode_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                                        std::span<const InfoHash> hashes);

using fluxo::ScrapeFigures;

struct Reply {
  Action action = Action::error;
  std::uint32_t transaction_id = 0;
  std::uint64_t connection_id = 0;   // connect
  AnnounceResponse announce;         // announce: interval, complete (seeders), incomplete (leechers), peers
  std::vector<ScrapeFigures> scrape;  // scrape, in the order asked
  std::string error;                 // error: the tracker's message (not yet made printable)
};

// A datagram from a tracker. `ipv6_peers`: the announce went over IPv6, so
// peers are 18-byte entries (BEP 15); otherwise 6-byte. Peers beyond
// `max_peers`, a partial trailing entry and port-0 entries are dropped and
// counted. Errors: protocol_error for a datagram too short for its action
// or of an unknown action.
Result<Reply> parse_reply(std::span<const std::uint8_t> datagram, bool ipv6_peers, std::size_t max_peers = 2000);

}  // namespace fluxo::udp_tracker
