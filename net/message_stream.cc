#include "net/message_stream.h"

#include <algorithm>
#include <cstring>

namespace fluxo {

MessageReader::MessageReader(std::uint32_t piece_count, std::chrono::milliseconds poll)
    : piece_count_(piece_count), max_len_(wire::max_message_length(piece_count)), poll_(poll),
      in_(std::max<std::size_t>(kReadBuffer, max_len_ + 64)) {}

Status MessageReader::read_exact(PeerStream& s, std::span<std::uint8_t> buf, Clock::time_point deadline,
                                 StopFlags stop) {
  std::size_t got = 0;
  while (got < buf.size()) {
    if (stop.raised()) return stop.status(s.remote());
    if (Clock::now() > deadline) return Status(ErrorCode::network_error, s.remote() + ": timed out mid-message");
    auto r = s.receive_some(buf.subspan(got), poll_);
    if (!r) return r.status();
    got += *r;
  }
  return Status::ok();
}

Result<std::size_t> MessageReader::fill(PeerStream& s, std::chrono::milliseconds wait) {
  if (end_ == in_.size()) compact();
  auto r = s.receive_some(std::span(in_).subspan(end_), wait);
  if (r) end_ += *r;
  return r;
}

void MessageReader::compact() {
  if (begin_ == 0) return;
  std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

wire::Frame MessageReader::next() {
  auto f = wire::next_frame(std::span<const std::uint8_t>(in_).subspan(begin_, end_ - begin_), piece_count_, max_len_);
  if (f.kind == wire::Frame::Kind::need_more || f.kind == wire::Frame::Kind::error) {
    if (begin_ == end_) begin_ = end_ = 0;
    return f;
  }
  begin_ += f.size;
  return f;
}

Status MessageReader::read_block(PeerStream& s, std::span<std::uint8_t> dest, Clock::time_point deadline,
                                 StopFlags stop) {
  const std::size_t buffered = std::min(end_ - begin_, dest.size());
  std::memcpy(dest.data(), in_.data() + begin_, buffered);
  begin_ += buffered;
  if (buffered == dest.size()) return Status::ok();
  // The buffer is empty now (all of it was this block's): whatever follows
  // the block in the same read lands at its start, at most one PIECE header
  // so that the next block is read straight to its own buffer as well.
  begin_ = end_ = 0;
  auto target = dest.subspan(buffered);
  std::size_t got = 0;
  while (got < target.size()) {
    if (stop.raised()) return stop.status(s.remote());
    if (Clock::now() > deadline) return Status(ErrorCode::network_error, s.remote() + ": timed out mid-message");
    auto r = s.receive_some(target.subspan(got), std::span(in_).first(wire::kPieceHeaderSize), poll_);
    if (!r) return r.status();
    const std::size_t into_target = std::min(*r, target.size() - got);
    got += into_target;
    end_ += *r - into_target;
  }
  return Status::ok();
}

Status MessageReader::skip_block(PeerStream& s, std::size_t length, Clock::time_point deadline, StopFlags stop) {
  const std::size_t buffered = std::min(end_ - begin_, length);
  begin_ += buffered;
  if (buffered == length) return Status::ok();
  scratch_.resize(length - buffered);
  return read_exact(s, scratch_, deadline, stop);
}

void MessageWriter::keep_alive() { wire::encode_keepalive(grow(wire::kKeepAliveSize)); }

void MessageWriter::simple(wire::MsgId id) { wire::encode_simple(id, grow(wire::kSimpleSize)); }

void MessageWriter::index(wire::MsgId id, PieceIndex p) { wire::encode_index(id, p, grow(wire::kHaveSize)); }

void MessageWriter::block_ref(wire::MsgId id, const wire::BlockRef& b) {
  wire::encode_block_ref(id, b, grow(wire::kBlockRefSize));
}

void MessageWriter::bitfield(const Bitfield& bf) {
  const auto bytes = bf.bytes();
  std::uint8_t* at = grow(5 + bytes.size());
  wire::encode_bitfield_header(bytes.size(), at);
  std::memcpy(at + 5, bytes.data(), bytes.size());
}

void MessageWriter::extended(std::uint8_t ext_id, std::span<const std::uint8_t> payload) {
  std::uint8_t* at = grow(6 + payload.size());
  wire::write_u32(at, static_cast<std::uint32_t>(2 + payload.size()));
  at[4] = static_cast<std::uint8_t>(wire::MsgId::extended);
  at[5] = ext_id;
  if (!payload.empty()) std::memcpy(at + 6, payload.data(), payload.size());
}

Status MessageWriter::flush(PeerStream& s) {
  if (out_.empty()) return Status::ok();
  Status st = s.send_all(out_);
  out_.clear();
  return st;
}

}  // namespace fluxo
