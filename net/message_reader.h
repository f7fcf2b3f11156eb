// Framing of the peer wire stream: what the next bytes of a connection's
// input are, without copying them. A PIECE message is reported as soon as
// its 13-byte header is in, so the caller can read the block's bytes
// straight into the piece's buffer (the receive fast path); every other
// message is reported whole, ready for wire::decode_message.
//
// Pure: a function of the buffered bytes and the torrent's piece count. The
// caller consumes `size` bytes after each frame. Lengths are checked before
// anything is allocated: a prefix above wire::max_message_length is an
// error, as is a PIECE of a bad length or for a piece out of range.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "net/wire.h"

namespace fluxo::wire {

struct Frame {
  enum class Kind {
    need_more,   // not enough bytes yet: read more (size is 0)
    keep_alive,  // size 4
    piece,       // a PIECE header: `block` names the block; size 13, its
                 // block.length bytes follow in the stream
    message,     // a whole other message: `body` (id and payload); size 4 + body
    error        // `error` says why; the connection must end
  };
  Kind kind = Kind::need_more;
  std::size_t size = 0;
  BlockRef block{};
  std::span<const std::uint8_t> body;
  std::string error;
};

// The frame at the start of `input`. `max_length` is
// wire::max_message_length(piece_count).
Frame next_frame(std::span<const std::uint8_t> input, std::uint32_t piece_count, std::uint32_t max_length);

}  // namespace fluxo::wire
