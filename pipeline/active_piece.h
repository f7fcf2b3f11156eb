// A piece being downloaded: its buffer, which of its 16 KiB blocks are
// requested (and how many times, for end-game), which have arrived, and who
// sent each one (the source's IP address), so that a piece that fails its
// hash can be blamed on the peers whose blocks were wrong and no one else.
//
// Thread-safety: the block table is guarded by `mu_`; any peer task may call
// any member. A block's bytes are written by exactly one peer: the one whose
// begin_block() call won it, holding the returned token (later arrivals of
// the same block are told to discard theirs). A writer's block_written() and
// abort_block() act only on its own claim, so a stale writer can never count
// or clear another writer's block. Once the last block is written the piece
// is sealed: nothing can change it again (no writes, drops or resets) while
// the pipeline hashes it. The piece owns its buffer (a PieceBuffer from the
// torrent's pool): the committer gives it back once the piece is judged
// (release_buffer), or it goes back when the piece is destroyed. The
// ActivePiece itself is shared by the peers working on it and the pipeline
// job (shared_ptr).
//
// Single-source pieces: a piece that failed its hash with blocks from several
// peers is fetched again from one peer only (see pipeline/blame.h). Such a
// piece has at most one owner session at a time; only the owner requests its
// blocks, and when the owner gives it up, the blocks it left are discarded so
// the next owner fetches the whole piece itself.
//
// Limits: a piece has at most 16,384 blocks (256 MiB), so at most that many
// distinct sources.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/types.h"
#include "net/wire.h"
#include "pipeline/piece_memory.h"

namespace fluxo {

// Blocks a peer rejected, by (piece, begin): never asked of it again.
using BlockSet = std::unordered_set<std::uint64_t>;
inline std::uint64_t block_key(const wire::BlockRef& b) {
  return (std::uint64_t{b.piece.value()} << 32) | b.begin;
}

class ActivePiece {
 public:
  ActivePiece(PieceIndex index, std::uint32_t size, PieceBuffer buffer, bool single_source = false)
      : index_(index), size_(size), buffer_(std::move(buffer)), data_(buffer_.data()), single_source_(single_source),
        started_(next_started()), blocks_((size + wire::kBlockSize - 1) / wire::kBlockSize) {}

  PieceIndex index() const { return index_; }
  std::uint32_t size() const { return size_; }
  std::uint8_t* data() const { return data_; }
  // The piece was judged (committed or failed): its memory goes back to the
  // pool now. Seals the piece; data() must not be used afterwards.
  void release_buffer();
  bool single_source() const { return single_source_; }
  // Rises with every piece made: a later piece's blocks were asked for later.
  std::uint64_t started() const { return started_; }
  std::uint32_t block_count() const { return static_cast<std::uint32_t>(blocks_.size()); }
  wire::BlockRef block_ref(std::uint32_t block) const {
    std::uint32_t begin = block * wire::kBlockSize;
    return {index_, begin, std::min(wire::kBlockSize, size_ - begin)};
  }

  // Marks and returns the first block nobody has requested (max_requests = 1)
  // or, in end-game, one requested fewer than max_requests times; blocks in
  // `exclude` (the caller's own requests) or in `rejected` (blocks the peer
  // refused) are skipped. nullopt when there is none.
  std::optional<wire::BlockRef> request_block(unsigned max_requests,
                                              const std::vector<wire::BlockRef>* exclude = nullptr,
                                              const BlockSet* rejected = nullptr);
  // A request for the block was rejected, choked away or abandoned.
  void return_block(std::uint32_t begin);
  // False once a request_block(1) found no block that nobody has asked for,
  // until a block becomes free again (returned, aborted, withdrawn, reset):
  // lets the registry skip pieces with nothing to hand out without locking
  // them. A hint: read without the lock.
  bool maybe_open() const { return open_.load(std::memory_order_relaxed); }

  // Single-source pieces: whether `session` may work on it (it becomes the
  // owner if there is none: `adopted`). Always `shared` for other pieces.
  enum class Access { denied, shared, owner, adopted };
  Access adopt(std::uint32_t session);
  // The owner gives the piece up: what it left is discarded, and the piece
  // waits for a new owner. No effect for other sessions, other pieces, or a
  // sealed piece.
  void disown(std::uint32_t session);

  enum class Arrival { write, duplicate, invalid };
  struct Claim {
    Arrival arrival = Arrival::invalid;
    std::uint32_t token = 0;  // for block_written / abort_block, with `write`
  };
  // Called when a block arrives from `source` (an IP address): `write` means
  // the caller now owns the block and must copy it into data() + begin, then
  // call block_written() with the token. Blocks from a dropped (banned)
  // source are duplicates.
  Claim begin_block(std::uint32_t begin, std::uint32_t length, std::string_view source);
  enum class Written { more, complete, discarded };
  // The copy is done. `complete` when this was the last block (the piece is
  // now sealed); `discarded` when the claim was withdrawn meanwhile (its
  // source was dropped, or its owner gave the piece up).
  Written block_written(std::uint32_t begin, std::uint32_t token);
  // The writer of a block could not finish it (the peer went away mid-block).
  void abort_block(std::uint32_t begin, std::uint32_t token);
  // True when the block has arrived (used to cancel end-game duplicates).
  bool has_block(std::uint32_t begin) const;
  // Forgets every block `source` sent (it was banned) and refuses its blocks
  // from now on: they are fetched again from others. Returns how many were
  // dropped. No effect on a sealed piece.
  std::uint32_t drop_source(std::string_view source);

  // "index: r=requests/a=arrived per block", for debugging stalls.
  std::string debug_string() const;

  // The distinct sources that wrote blocks, and the source of each block
  // (an index into sources()), for blame when the piece fails its hash.
  // Call once the piece is complete.
  std::vector<std::string> sources() const;
  std::vector<std::uint16_t> block_sources() const;

 private:
  enum class State : std::uint8_t { empty, writing, done, dropped };  // dropped: withdrawn while writing
  struct Block {
    std::uint8_t requests = 0;
    State state = State::empty;
    std::uint16_t source = 0;  // index into sources_ once claimed
    std::uint32_t token = 0;   // the current claim's
  };
  void reset_locked();
  const PieceIndex index_;
  const std::uint32_t size_;
  PieceBuffer buffer_;  // guarded by mu_ for release_buffer
  std::uint8_t* const data_;
  const bool single_source_;
  const std::uint64_t started_;
  static std::uint64_t next_started();
  mutable std::mutex mu_;
  std::vector<Block> blocks_;             // guarded by mu_
  std::uint32_t written_ = 0;             // guarded by mu_
  std::uint32_t next_token_ = 0;          // guarded by mu_
  bool sealed_ = false;                   // guarded by mu_
  std::vector<std::string> sources_;      // guarded by mu_
  std::vector<std::string> dropped_;      // guarded by mu_; banned sources
  std::optional<std::uint32_t> owner_;    // guarded by mu_; single-source pieces only
  std::atomic<bool> open_{true};          // written under mu_; see maybe_open()
};

}  // namespace fluxo
