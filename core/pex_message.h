// ut_pex messages (BEP 11): peers a neighbour is connected to, sent over
// the extension protocol at most once a minute. A bencoded dictionary of
// compact lists: 'added' (6 bytes per IPv4 peer) with 'added.f' (a flags
// byte each), 'dropped', and 'added6' / 'added6.f' / 'dropped6' (18 bytes
// per IPv6 peer). Pure functions, bounded.
//
// Nothing in a message is trusted: addresses only join the peer book as
// candidates (a peer can list anyone), flags are kept but decide nothing,
// entries with port 0 are skipped, and each list is cut at kMaxPexPeers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tracker_response.h"

namespace fluxo {

inline constexpr std::size_t kMaxPexMessage = 64u << 10;
inline constexpr std::size_t kMaxPexPeers = 200;  // per list and family, more ignored
inline constexpr std::size_t kPexSendMax = 50;    // what we send per list (libtorrent's figure)

// 'added.f' bits (BEP 11).
inline constexpr std::uint8_t kPexPrefersEncryption = 0x01;
inline constexpr std::uint8_t kPexSeed = 0x02;
inline constexpr std::uint8_t kPexUtp = 0x04;
inline constexpr std::uint8_t kPexHolepunch = 0x08;
inline constexpr std::uint8_t kPexOutgoing = 0x10;

struct PexMessage {
  std::vector<PeerAddress> added;     // IPv4 and IPv6 together
  std::vector<std::uint8_t> added_flags;  // one per `added` (0 when the sender gave none)
  std::vector<PeerAddress> dropped;
};

// Errors: protocol_error for a payload over kMaxPexMessage or that is not a
// bencoded dictionary, and for a compact list whose length is not a
// multiple of its entry size.
Result<PexMessage> parse_pex_message(std::span<const std::uint8_t> payload);
// Numeric IPv4 and IPv6 hosts only (others are left out).
std::string encode_pex_message(const PexMessage& m);

}  // namespace fluxo
