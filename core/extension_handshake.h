// The extension protocol's handshake (BEP 10): the bencoded dictionary a
// peer sends as extended message 0 once both sides set reserved bit 0x10 of
// byte 5. Encoded for ours, parsed and bounded for theirs.
//
// `m` maps extension names to the ids the SENDER wants to receive them
// under: messages we send use the ids from the peer's `m`, never ours. An id
// of 0 disables an extension. Everything else is optional and untrusted:
// kept only within bounds (`v` at most 100 bytes, `reqq` 1..kMaxReqq,
// `metadata_size` 1..kMaxMetadataSize, at most kMaxExtensions names).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace fluxo {

inline constexpr std::size_t kMaxExtensionHandshake = 64u << 10;
inline constexpr std::size_t kMaxExtensions = 64;
inline constexpr std::int64_t kMaxReqq = 10000;
inline constexpr std::int64_t kMaxMetadataSize = std::int64_t{64} << 20;  // as for .torrent files
inline constexpr std::size_t kMaxClientName = 100;

struct ExtensionHandshake {
  std::map<std::string, std::uint8_t, std::less<>> m;  // name -> id (1..255); disabled ones left out
  std::string client;                                  // 'v'
  std::optional<std::uint16_t> listen_port;            // 'p'
  std::optional<std::uint32_t> reqq;                   // requests the sender queues
  // 'yourip': the receiver's address as the sender sees it (4 or 16 bytes).
  std::optional<std::string> your_ip;
  std::optional<std::int64_t> metadata_size;           // BEP 9

  // The id to send extension `name` under, if the sender takes it.
  std::optional<std::uint8_t> id_of(std::string_view name) const;
};

std::string encode_extension_handshake(const ExtensionHandshake& h);

// Errors: protocol_error when the payload is not a bencoded dictionary or
// longer than kMaxExtensionHandshake. Entries out of bounds are dropped, not
// errors (peers disagree on the details).
Result<ExtensionHandshake> parse_extension_handshake(std::span<const std::uint8_t> payload);

}  // namespace fluxo
