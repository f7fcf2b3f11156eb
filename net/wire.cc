#include "net/wire.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace fluxo::wire {
namespace {

constexpr std::string_view kProtocol = "BitTorrent protocol";

Status violation(std::string msg) { return Status(ErrorCode::parse_error, std::move(msg)); }

}  // namespace

void encode_handshake(const Handshake& h, std::span<std::uint8_t, kHandshakeSize> out) {
  out[0] = 19;
  std::memcpy(out.data() + 1, kProtocol.data(), kProtocol.size());
  std::memcpy(out.data() + 20, h.reserved.data(), 8);
  std::memcpy(out.data() + 28, h.info_hash.bytes.data(), 20);
  std::memcpy(out.data() + 48, h.peer_id.data(), 20);
}

bool is_handshake_prefix(std::span<const std::uint8_t, kHandshakePrefixSize> in) {
  return in[0] == 19 && std::memcmp(in.data() + 1, kProtocol.data(), kProtocol.size()) == 0;
}

Result<Handshake> decode_handshake(std::span<const std::uint8_t, kHandshakeSize> in) {
  if (!is_handshake_prefix(in.first<kHandshakePrefixSize>())) {
    return violation("not a BitTorrent handshake");
  }
  Handshake h;
  std::memcpy(h.reserved.data(), in.data() + 20, 8);
  std::memcpy(h.info_hash.bytes.data(), in.data() + 28, 20);
  std::memcpy(h.peer_id.data(), in.data() + 48, 20);
  return h;
}

std::size_t encode_keepalive(std::uint8_t* out) {
  write_u32(out, 0);
  return kKeepAliveSize;
}

std::size_t encode_simple(MsgId id, std::uint8_t* out) {
  write_u32(out, 1);
  out[4] = static_cast<std::uint8_t>(id);
  return kSimpleSize;
}

std::size_t encode_index(MsgId id, PieceIndex piece, std::uint8_t* out) {
  write_u32(out, 5);
  out[4] = static_cast<std::uint8_t>(id);
  write_u32(out + 5, piece.value());
  return kHaveSize;
}

std::size_t encode_block_ref(MsgId id, const BlockRef& b, std::uint8_t* out) {
  write_u32(out, 13);
  out[4] = static_cast<std::uint8_t>(id);
  write_u32(out + 5, b.piece.value());
  write_u32(out + 9, b.begin);
  write_u32(out + 13, b.length);
  return kBlockRefSize;
}

std::size_t encode_piece_header(const BlockRef& b, std::uint8_t* out) {
  write_u32(out, 9 + b.length);
  out[4] = static_cast<std::uint8_t>(MsgId::piece);
  write_u32(out + 5, b.piece.value());
  write_u32(out + 9, b.begin);
  return kPieceHeaderSize;
}

std::size_t encode_bitfield_header(std::size_t bytes, std::uint8_t* out) {
  write_u32(out, static_cast<std::uint32_t>(1 + bytes));
  out[4] = static_cast<std::uint8_t>(MsgId::bitfield);
  return 5;
}

std::uint32_t max_message_length(std::uint32_t piece_count) {
  return std::max<std::uint32_t>(1 + (piece_count + 7) / 8, 9 + kMaxBlockLength);
}

Result<Message> decode_message(std::span<const std::uint8_t> body, std::uint32_t piece_count) {
  if (body.empty()) return violation("empty message body");
  Message m;
  m.id = static_cast<MsgId>(body[0]);
  std::span<const std::uint8_t> p = body.subspan(1);
  auto need = [&](std::size_t n, const char* name) -> Status {
    if (p.size() != n) {
      return violation(std::string(name) + " message of " + std::to_string(p.size()) +
                       " bytes; expected " + std::to_string(n));
    }
    return Status::ok();
  };
  auto check_piece = [&](std::uint32_t index) -> Status {
    if (index >= piece_count) {
      return violation("piece index " + std::to_string(index) + " out of range (" +
                       std::to_string(piece_count) + " pieces)");
    }
    return Status::ok();
  };
  switch (m.id) {
    case MsgId::choke:
    case MsgId::unchoke:
    case MsgId::interested:
    case MsgId::not_interested:
    case MsgId::have_all:
    case MsgId::have_none:
      if (Status s = need(0, "empty"); !s) return s;
      return m;
    case MsgId::have:
    case MsgId::suggest:
    case MsgId::allowed_fast:
      if (Status s = need(4, "have"); !s) return s;
      m.piece = PieceIndex(read_u32(p.data()));
      if (Status s = check_piece(m.piece.value()); !s) return s;
      return m;
    case MsgId::request:
    case MsgId::cancel:
    case MsgId::reject:
      if (Status s = need(12, "request"); !s) return s;
      m.piece = PieceIndex(read_u32(p.data()));
      m.begin = read_u32(p.data() + 4);
      m.length = read_u32(p.data() + 8);
      if (Status s = check_piece(m.piece.value()); !s) return s;
      if (m.length == 0 || m.length > kMaxBlockLength) {
        return violation("block length " + std::to_string(m.length) + " out of range");
      }
      return m;
    case MsgId::piece:
      if (p.size() < 8) return violation("piece message too short");
      m.piece = PieceIndex(read_u32(p.data()));
      m.begin = read_u32(p.data() + 4);
      m.payload = p.subspan(8);
      m.length = static_cast<std::uint32_t>(m.payload.size());
      if (Status s = check_piece(m.piece.value()); !s) return s;
      if (m.length == 0 || m.length > kMaxBlockLength) return violation("block of bad length");
      return m;
    case MsgId::bitfield:
      if (p.size() != (piece_count + 7) / 8) {
        return violation("bitfield of " + std::to_string(p.size()) + " bytes; expected " +
                         std::to_string((piece_count + 7) / 8));
      }
      m.payload = p;
      return m;
    case MsgId::port:
      if (Status s = need(2, "port"); !s) return s;
      return m;
    default:
      // Unknown or unnegotiated extensions are ignored, as BEP 3 asks.
      m.payload = p;
      return m;
  }
}

}  // namespace fluxo::wire
