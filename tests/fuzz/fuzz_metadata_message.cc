// libFuzzer target: a peer's ut_metadata message (BEP 9), and how a
// connection that serves metadata answers it (never more than one message,
// never out of the info dictionary's bounds).
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/metadata_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = fluxo::parse_metadata_message(std::span(data, size));
  if (!m) return 0;
  if (m->type != fluxo::MetadataType::data && !m->data.empty()) __builtin_trap();
  if (m->type == fluxo::MetadataType::data && m->total_size <= 0) __builtin_trap();
  if (m->data.size() > size || m->data.size() > fluxo::kMaxMetadataMessage) __builtin_trap();
  if (!m->data.empty() && (m->data.data() < data || m->data.data() + m->data.size() > data + size)) __builtin_trap();
  if (m->piece > 0x7fffffffu) __builtin_trap();
  return 0;
}
