#include "net/message_reader.h"

namespace fluxo::wire {

Frame next_frame(std::span<const std::uint8_t> input, std::uint32_t piece_count, std::uint32_t max_length) {
  Frame f;
  if (input.size() < 4) return f;
  const std::uint32_t len = read_u32(input.data());
  if (len == 0) {
    f.kind = Frame::Kind::keep_alive;
    f.size = 4;
    return f;
  }
  if (len > max_length) {
    f.kind = Frame::Kind::error;
    f.error = "message of " + std::to_string(len) + " bytes exceeds the limit";
    return f;
  }
  if (input.size() < 5) return f;
  if (input[4] == static_cast<std::uint8_t>(MsgId::piece)) {
    if (len < 10 || len - 9 > kMaxBlockLength) {
      f.kind = Frame::Kind::error;
      f.error = "piece message of bad length";
      return f;
    }
    if (input.size() < kPieceHeaderSize) return f;
    const std::uint32_t index = read_u32(input.data() + 5);
    if (index >= piece_count) {
      f.kind = Frame::Kind::error;
      f.error = "block for a piece out of range";
      return f;
    }
    f.kind = Frame::Kind::piece;
    f.size = kPieceHeaderSize;
    f.block = BlockRef{PieceIndex(index), read_u32(input.data() + 9), len - 9};
    return f;
  }
  if (input.size() < 4 + std::size_t{len}) return f;
  f.kind = Frame::Kind::message;
  f.size = 4 + std::size_t{len};
  f.body = input.subspan(4, len);
  return f;
}

}  // namespace fluxo::wire
