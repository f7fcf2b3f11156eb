// libFuzzer target: a peer's extended handshake (BEP 10). Whatever is kept
// stays within its bounds, and what we would send back parses again.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/extension_handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto h = fluxo::parse_extension_handshake(std::span(data, size));
  if (!h) return 0;
  if (h->m.size() > fluxo::kMaxExtensions || h->client.size() > fluxo::kMaxClientName) __builtin_trap();
  for (const auto& [name, id] : h->m) {
    if (id == 0 || name.empty()) __builtin_trap();
  }
  if (h->reqq && (*h->reqq == 0 || *h->reqq > fluxo::kMaxReqq)) __builtin_trap();
  if (h->metadata_size && (*h->metadata_size <= 0 || *h->metadata_size > fluxo::kMaxMetadataSize)) __builtin_trap();
  if (h->your_ip && h->your_ip->size() != 4 && h->your_ip->size() != 16) __builtin_trap();
  const std::string again = fluxo::encode_extension_handshake(*h);
  auto back = fluxo::parse_extension_handshake(
      std::span(reinterpret_cast<const std::uint8_t*>(again.data()), again.size()));
  if (!back || back->m != h->m || back->client != h->client) __builtin_trap();
  return 0;
}
