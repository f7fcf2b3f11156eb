// libFuzzer target: a peer's ut_pex message (BEP 11). Lists stay within
// their bounds, flags match the added peers, no port is 0, and what we would
// send of it parses back to the same peers.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/pex_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = fluxo::parse_pex_message(std::span(data, size));
  if (!m) return 0;
  if (m->added.size() > 2 * fluxo::kMaxPexPeers || m->dropped.size() > 2 * fluxo::kMaxPexPeers) __builtin_trap();
  if (m->added_flags.size() != m->added.size()) __builtin_trap();
  for (const auto& a : m->added) {
    if (a.port == 0 || a.host.empty()) __builtin_trap();
  }
  const std::string again = fluxo::encode_pex_message(*m);
  auto back = fluxo::parse_pex_message(std::span(reinterpret_cast<const std::uint8_t*>(again.data()), again.size()));
  if (!back || back->added.size() != m->added.size() || back->dropped.size() != m->dropped.size()) __builtin_trap();
  return 0;
}
