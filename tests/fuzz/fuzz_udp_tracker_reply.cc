// libFuzzer target: a UDP tracker's datagram (BEP 15), parsed as IPv4 and as
// IPv6 announce replies. Whatever is accepted stays within its bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/udp_tracker_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace u = fluxo::udp_tracker;
  for (bool v6 : {false, true}) {
    auto r = u::parse_reply(std::span(data, size), v6, 50);
    if (!r) continue;
    if (r->announce.peers.size() > 50) __builtin_trap();
    for (const auto& p : r->announce.peers) {
      if (p.port == 0 || p.host.empty()) __builtin_trap();
    }
    if (r->scrape.size() > u::kMaxScrapeHashes) __builtin_trap();
    if (r->error.size() > u::kMaxErrorMessage) __builtin_trap();
    if (r->announce.interval < fluxo::kMinInterval || r->announce.interval > fluxo::kMaxInterval) __builtin_trap();
  }
  return 0;
}
