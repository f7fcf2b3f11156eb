// The BitTorrent peer wire protocol (BEP 3) with the fast extension (BEP 6):
// encoders and decoders as pure functions over byte spans. No sockets here;
// the peer connection calls these.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "core/status.h"
#include "core/types.h"

namespace fluxo::wire {

inline constexpr std::size_t kHandshakeSize = 68;
inline constexpr std::uint32_t kBlockSize = 16 * 1024;
// The largest block we request or accept; BEP 3 clients close on more than 128 KiB.
inline constexpr std::uint32_t kMaxBlockLength = 128 * 1024;

enum class MsgId : std::uint8_t {
  choke = 0,
  unchoke = 1,
  interested = 2,
  not_interested = 3,
  have = 4,
  bitfield = 5,
  request = 6,
  piece = 7,
  cancel = 8,
  port = 9,
  suggest = 13,       // BEP 6
  have_all = 14,      // BEP 6
  have_none = 15,     // BEP 6
  reject = 16,        // BEP 6
  allowed_fast = 17,  // BEP 6
  extended = 20,      // BEP 10
};

using PeerId = std::array<std::uint8_t, 20>;

struct Handshake {
  std::array<std::uint8_t, 8> reserved{};
  InfoHash info_hash;
  PeerId peer_id{};
  bool supports_fast() const { return (reserved[7] & 0x04) != 0; }
  void set_fast() { reserved[7] |= 0x04; }
};

void encode_handshake(const Handshake& h, std::span<std::uint8_t, kHandshakeSize> out);
// "\x13BitTorrent protocol": how a plain handshake begins (an encrypted one,
// MSE/PE, begins with a random public key).
inline constexpr std::size_t kHandshakePrefixSize = 20;
bool is_handshake_prefix(std::span<const std::uint8_t, kHandshakePrefixSize> in);
// Checks the protocol string; the caller checks the info-hash and peer id.
Result<Handshake> decode_handshake(std::span<const std::uint8_t, kHandshakeSize> in);

struct BlockRef {
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  bool operator==(const BlockRef&) const = default;
};

// Encoders write into `out` (large enough: see each size) and return the
// number of bytes written.
inline constexpr std::size_t kKeepAliveSize = 4;
inline constexpr std::size_t kSimpleSize = 5;     // choke .. not_interested, have_all, have_none
inline constexpr std::size_t kHaveSize = 9;       // have, suggest, allowed_fast
inline constexpr std::size_t kBlockRefSize = 17;  // request, cancel, reject
inline constexpr std::size_t kPieceHeaderSize = 13;

std::size_t encode_keepalive(std::uint8_t* out);
std::size_t encode_simple(MsgId id, std::uint8_t* out);
std::size_t encode_index(MsgId id, PieceIndex piece, std::uint8_t* out);
std::size_t encode_block_ref(MsgId id, const BlockRef& b, std::uint8_t* out);
// The 13-byte header of a PIECE message carrying `length` bytes of data.
std::size_t encode_piece_header(const BlockRef& b, std::uint8_t* out);
// Length prefix and id of a BITFIELD message with `bytes` payload bytes (5 bytes).
std::size_t encode_bitfield_header(std::size_t bytes, std::uint8_t* out);

// A decoded message. For PIECE, `payload` is the block data; for BITFIELD the
// bitfield bytes; for unknown ids the raw payload.
struct Message {
  MsgId id = MsgId::choke;
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  std::span<const std::uint8_t> payload;
};

// The largest message a peer may send us, from the torrent's piece count:
// a full bitfield or a 128 KiB block, whichever is larger. A length prefix
// above this is a protocol violation and the connection is closed before
// anything is allocated.
std::uint32_t max_message_length(std::uint32_t piece_count);

// Decodes one message body (id + payload, without the length prefix) and
// checks its size and indices against the torrent: `piece_count` pieces.
Result<Message> decode_message(std::span<const std::uint8_t> body, std::uint32_t piece_count);

inline std::uint32_t read_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
inline void write_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace fluxo::wire
