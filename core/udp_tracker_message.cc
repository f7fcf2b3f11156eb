#include "core/udp_tracker_message.h"

#include <algorithm>
#include <string_view>

namespace fluxo::udp_tracker {
namespace {

template <std::size_t N>
void put(std::uint8_t* at, std::uint64_t v) {
  for (std::size_t i = 0; i < N; ++i) at[i] = static_cast<std::uint8_t>(v >> (8 * (N - 1 - i)));
}

template <std::size_t N>
std::uint64_t get(const std::uint8_t* at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < N; ++i) v = v << 8 | at[i];
  return v;
}

Status short_reply(std::string_view what, std::size_t size) {
  return Status(ErrorCode::protocol_error,
                "UDP tracker " + std::string(what) + " reply of " + std::to_string(size) + " bytes is too short");
}

}  // namespace

std::array<std::uint8_t, kConnectSize> encode_connect(std::uint32_t transaction_id) {
  std::array<std::uint8_t, kConnectSize> out{};
  put<8>(out.data(), kProtocolId);
  put<4>(out.data() + 8, static_cast<std::uint32_t>(Action::connect));
  put<4>(out.data() + 12, transaction_id);
  return out;
}

std::array<std::uint8_t, kAnnounceSize> encode_announce(const Announce& a) {
  std::array<std::uint8_t, kAnnounceSize> out{};
  std::uint8_t* p = out.data();
  put<8>(p, a.connection_id);
  put<4>(p + 8, static_cast<std::uint32_t>(Action::announce));
  put<4>(p + 12, a.transaction_id);
  std::copy(a.info_hash.bytes.begin(), a.info_hash.bytes.end(), p + 16);
  std::copy(a.peer_id.begin(), a.peer_id.end(), p + 36);
  put<8>(p + 56, static_cast<std::uint64_t>(std::max<std::int64_t>(0, a.downloaded)));
  put<8>(p + 64, static_cast<std::uint64_t>(std::max<std::int64_t>(0, a.left)));
  put<8>(p + 72, static_cast<std::uint64_t>(std::max<std::int64_t>(0, a.uploaded)));
  put<4>(p + 80, static_cast<std::uint32_t>(a.event));
  put<4>(p + 84, 0);  // IP address: the datagram's source
  put<4>(p + 88, a.key);
  put<4>(p + 92, static_cast<std::uint32_t>(a.num_want));
  put<2>(p + 96, a.port);
  return out;
}

std::vector<std::uint8_t> encode_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                                        std::span<const InfoHash> hashes) {
  const std::size_t n = std::min(hashes.size(), kMaxScrapeHashes);
  std::vector<std::uint8_t> out(16 + 20 * n);
  put<8>(out.data(), connection_id);
  put<4>(out.data() + 8, static_cast<std::uint32_t>(Action::scrape));
  put<4>(out.data() + 12, transaction_id);
  for (std::size_t i = 0; i < n; ++i) std::copy(hashes[i].bytes.begin(), hashes[i].bytes.end(), out.data() + 16 + 20 * i);
  return out;
}

Result<Reply> parse_reply(std::span<const std::uint8_t> d, bool ipv6_peers, std::size_t max_peers) {
  if (d.size() < 8) return short_reply("any", d.size());
  Reply r;
  const std::uint32_t action = static_cast<std::uint32_t>(get<4>(d.data()));
  r.transaction_id = static_cast<std::uint32_t>(get<4>(d.data() + 4));
  switch (action) {
    case static_cast<std::uint32_t>(Action::connect):
      if (d.size() < 16) return short_reply("connect", d.size());
      r.action = Action::connect;
      r.connection_id = get<8>(d.data() + 8);
      return r;
    case static_cast<std::uint32_t>(Action::announce): {
      if (d.size() < 20) return short_reply("announce", d.size());
      r.action = Action::announce;
      r.announce.interval =
          std::clamp(static_cast<std::int64_t>(get<4>(d.data() + 8)), kMinInterval, kMaxInterval);
      r.announce.incomplete = static_cast<std::int64_t>(get<4>(d.data() + 12));
      r.announce.complete = static_cast<std::int64_t>(get<4>(d.data() + 16));
      std::string_view peers(reinterpret_cast<const char*>(d.data() + 20), d.size() - 20);
      parse_compact_peers(peers, ipv6_peers, max_peers, r.announce);
      return r;
    }
    case static_cast<std::uint32_t>(Action::scrape): {
      r.action = Action::scrape;
      const std::size_t n = std::min((d.size() - 8) / 12, kMaxScrapeHashes);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t* p = d.data() + 8 + 12 * i;
        r.scrape.push_back({static_cast<std::int64_t>(get<4>(p)), static_cast<std::int64_t>(get<4>(p + 4)),
                            static_cast<std::int64_t>(get<4>(p + 8))});
      }
      return r;
    }
    case static_cast<std::uint32_t>(Action::error):
      r.action = Action::error;
      r.error.assign(reinterpret_cast<const char*>(d.data() + 8), std::min(d.size() - 8, kMaxErrorMessage));
      return r;
    default:
      return Status(ErrorCode::protocol_error, "UDP tracker reply with unknown action " + std::to_string(action));
  }
}

}  // namespace fluxo::udp_tracker
