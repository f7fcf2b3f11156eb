// Hashes a stream of pieces on a oneTBB flow graph:
//
//   reader (serial input_node) -> limiter -> SHA-1 (parallel) -> sequencer
//          -> collector (serial) --decrement--> limiter
//
// The reader pulls pieces in order from a PieceSource into buffers from a
// fixed pool; the limiter caps the pieces in flight, so memory is bounded by
// (max_in_flight + 1) piece buffers whatever the payload size. Tickets are
// dense (one per piece read, in read order) and every ticket leaves the hash
// stage, so the sequencer never waits on a hole. Node bodies do not throw: a
// read error is recorded and stops the reader; the graph drains normally.
// Cancelling (HashOptions::cancel) works the same way: the reader reads no
// new piece once the flag is set, the pieces in flight drain, and the call
// returns ErrorCode::cancelled.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "core/status.h"

namespace fluxo {

// Supplies piece bytes in order. read() is only ever called from one thread
// at a time (the reader node).
class PieceSource {
 public:
  virtual ~PieceSource() = default;
  // Fills `out` with the next out.size() bytes of the payload.
  virtual Status read(std::span<std::uint8_t> out) = 0;
  // Asked before each piece: true to pass over it (nothing is read and its
  // digest is left all zeros; the source moves past its bytes itself).
  virtual bool skip(std::uint64_t /*piece*/, std::uint32_t /*size*/) { return false; }
};

struct HashOptions {
  unsigned threads = 0;                        // 0: one per core
  std::size_t max_bytes_in_flight = 64u << 20;  // buffer budget (at least 2 pieces are used)
  // Called from the serial collector, in piece order, with bytes hashed so far.
  std::function<void(std::int64_t)> progress;
  // When set (by a signal handler, say), no further piece is read and the
  // call returns ErrorCode::cancelled once the pieces in flight are done.
  // Must outlive the call.
  const std::atomic<bool>* cancel = nullptr;
};

struct HashStats {
  std::size_t buffers_allocated = 0;  // peak piece buffers in use: the memory bound in pieces
};

// Returns the concatenated 20-byte SHA-1 digests of all pieces of a payload
// of `total` bytes cut into pieces of `piece_length` (the last may be short).
Result<std::string> hash_pieces(PieceSource& source, std::int64_t total, std::int64_t piece_length,
                                const HashOptions& options, HashStats* stats = nullptr);

}  // namespace fluxo
