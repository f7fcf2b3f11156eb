// Peer wire messages over a PeerStream (net/peer_stream.h): a reader that
// owns a connection's input buffer and a writer that batches its output.
//
// MessageReader: fill() reads what has arrived; next() frames it
// (net/message_reader.h). A PIECE frame is reported as soon as its header
// is in, and read_block() puts the block's bytes straight into the piece's
// buffer: what was buffered is copied, the rest read from the stream with a
// scatter read whose spill (at most the next PIECE header) lands at the start
// of the input buffer, so the next block goes straight to its buffer too.
// skip_block() reads and drops a block nobody wants. Reads wait in `poll`
// steps and give up when either stop flag is raised (ErrorCode::cancelled,
// "ip:port: stopped" or ": dropped") or the deadline passes.
//
// MessageWriter: typed appends to one output buffer, sent by flush() in one
// call. buffer() is the raw vector, for code that appends its own frames
// (the upload queue's rejects and choke changes).
//
// Thread-safety: both belong to one connection's task.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "core/bitfield.h"
#include "core/status.h"
#include "net/message_reader.h"
#include "net/peer_stream.h"
#include "net/wire.h"

namespace fluxo {

// What ends a read early: a whole torrent stopping, or this connection
// dropped (banned, evicted, replaced). Either may be null.
struct StopFlags {
  const std::atomic<bool>* stop = nullptr;
  const std::atomic<bool>* drop = nullptr;
  bool raised() const {
    return (stop && stop->load(std::memory_order_relaxed)) || (drop && drop->load(std::memory_order_relaxed));
  }
  Status status(const std::string& who) const {
    return Status(ErrorCode::cancelled, who + (stop && stop->load() ? ": stopped" : ": dropped"));
  }
};

class MessageReader {
 public:
  using Clock = std::chrono::steady_clock;
  MessageReader(std::uint32_t piece_count, std::chrono::milliseconds poll);

  // Exactly buf.size() bytes straight from the stream (the handshake; the
  // input buffer must be empty).
  Status read_exact(PeerStream& s, std::span<std::uint8_t> buf, Clock::time_point deadline, StopFlags stop);
  // Waits up to `wait` for input and buffers it: the bytes read, 0 when none
  // arrived.
  Result<std::size_t> fill(PeerStream& s, std::chrono::milliseconds wait);
  // The next whole frame in the buffer, consumed (need_more when there is
  // none yet). A `message` frame's body stays valid until the next fill().
  // After a `piece` frame, read_block() or skip_block() must come next.
  wire::Frame next();
  // The block of the PIECE frame just returned, into `dest`.
  Status read_block(PeerStream& s, std::span<std::uint8_t> dest, Clock::time_point deadline, StopFlags stop);
  Status skip_block(PeerStream& s, std::size_t length, Clock::time_point deadline, StopFlags stop);
  // Bytes buffered and not yet framed.
  std::size_t buffered() const { return end_ - begin_; }

  // The read buffer (larger only when a bitfield needs it). Blocks mostly
  // go straight to their piece (read_block), so this holds headers and small
  // messages; it is per connection, so at a thousand connections its size
  // is a good part of the process's memory (256 KiB each was 225 MiB).
  static constexpr std::size_t kReadBuffer = 64 * 1024;

 private:
  void compact();
  const std::uint32_t piece_count_;
  const std::uint32_t max_len_;
  const std::chrono::milliseconds poll_;
  std::vector<std::uint8_t> in_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::vector<std::uint8_t> scratch_;
};

class MessageWriter {
 public:
  void keep_alive();
  void simple(wire::MsgId id);                          // choke .. not_interested, have_all, have_none
  void index(wire::MsgId id, PieceIndex p);             // have, suggest, allowed_fast
  void block_ref(wire::MsgId id, const wire::BlockRef& b);  // request, cancel, reject
  void bitfield(const Bitfield& bf);
  // BEP 10: an extended message, `ext_id` being the id the receiver chose
  // (0: the extended handshake).
  void extended(std::uint8_t ext_id, std::span<const std::uint8_t> payload);
  bool empty() const { return out_.empty(); }
  std::vector<std::uint8_t>& buffer() { return out_; }
  // Sends everything appended so far and clears it.
  Status flush(PeerStream& s);

 private:
  std::uint8_t* grow(std::size_t n) {
    std::size_t at = out_.size();
    out_.resize(at + n);
    return out_.data() + at;
  }
  std::vector<std::uint8_t> out_;
};

}  // namespace fluxo
