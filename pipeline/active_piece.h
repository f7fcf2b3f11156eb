// A piece being downloaded: its buffer, which of its 16 KiB blocks are
// requested (and how many times, for end-game) and which have arrived.
//
// Thread-safety: the block table is guarded by `mu_`; any peer task may call
// any member. A block's bytes are written by exactly one peer: the one whose
// begin_block() call won it (later arrivals of the same block are told to
// discard theirs). The buffer belongs to the pool and is returned when the
// piece leaves the pipeline; the ActivePiece itself is shared by the peers
// working on it and the pipeline job (shared_ptr).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"
#include "net/wire.h"

namespace fluxo {

class ActivePiece {
 public:
  ActivePiece(PieceIndex index, std::uint32_t size, std::uint8_t* buffer)
      : index_(index), size_(size), data_(buffer),
        blocks_((size + wire::kBlockSize - 1) / wire::kBlockSize) {}

  PieceIndex index() const { return index_; }
  std::uint32_t size() const { return size_; }
  std::uint8_t* data() const { return data_; }
  std::uint32_t block_count() const { return static_cast<std::uint32_t>(blocks_.size()); }
  wire::BlockRef block_ref(std::uint32_t block) const {
    std::uint32_t begin = block * wire::kBlockSize;
    return {index_, begin, std::min(wire::kBlockSize, size_ - begin)};
  }

  // Marks and returns the first block nobody has requested (max_requests = 1)
  // or, in end-game, one requested fewer than max_requests times and not in
  // `mine`. nullopt when there is none.
  std::optional<wire::BlockRef> request_block(unsigned max_requests,
                                              const std::vector<wire::BlockRef>* mine = nullptr);
  // A request for the block was rejected, choked away or abandoned.
  void return_block(std::uint32_t begin);

  enum class Arrival { write, duplicate, invalid };
  // Called when a block arrives: `write` means the caller now owns the block
  // and must copy it into data() + begin, then call block_written().
  Arrival begin_block(std::uint32_t begin, std::uint32_t length, std::uint32_t peer);
  // Returns true when this was the last block: the piece is complete.
  bool block_written();
  // The writer of a block could not finish it (the peer went away mid-block).
  void abort_block(std::uint32_t begin);
  // True when the block has arrived (used to cancel end-game duplicates).
  bool has_block(std::uint32_t begin) const;

  // "index: r=requests/a=arrived per block", for debugging stalls.
  std::string debug_string() const;

  // Peers that delivered blocks of this piece (for blame on a hash failure).
  std::vector<std::uint32_t> contributors() const;

 private:
  struct Block {
    std::uint8_t requests = 0;
    bool arrived = false;  // claimed by a writer (possibly still copying)
  };
  const PieceIndex index_;
  const std::uint32_t size_;
  std::uint8_t* const data_;
  mutable std::mutex mu_;
  std::vector<Block> blocks_;              // guarded by mu_
  std::uint32_t written_ = 0;              // guarded by mu_
  std::vector<std::uint32_t> contributors_;  // guarded by mu_
};

}  // namespace fluxo
