// Bytes of verified pieces for uploading, read from storage on demand, within
// a memory budget (`max_bytes`, --upload-cache).
//
// The rule: capacity in pieces = max_bytes / piece_length (no minimum).
//
// - Whole-piece mode (capacity >= 1, a piece fits the budget): a request for
//   a block loads its whole piece (one pread per file span), checks its SHA-1
//   against the metainfo, and keeps it for the blocks that follow: peers ask
//   for a piece's blocks together, so a few pieces serve most requests. Data
//   that fails the check (a file changed or truncated underneath us) is never
//   handed out: the caller is told and marks the piece missing. At most
//   `capacity` pieces are held, counting loads in progress (a load waits for
//   a slot), plus blocks still held by senders. When more pieces are served
//   at once than fit, evicted pieces are read and hashed again.
// - Block mode (capacity 0, a piece larger than the budget): get_block()
//   reads just the requested block (one pread) and does not hash it. It
//   trusts the verification record: callers ask only for pieces in their
//   `have` set, which holds a piece only after its SHA-1 was checked (on
//   download, or by the startup recheck or the resume record). A file changed
//   on disk after that is not noticed here; the peer's own hash check
//   catches it. A read error (file truncated or gone) is still reported.
//
// Thread-safe; concurrent requests for the same piece share one load.
// prefetch() starts a whole-piece load through `spawn` (the session's
// prefetch runners: a few threads shared by every torrent; a few loads at
// most in flight per torrent, only when at least 8 pieces fit), so a peer
// that queues requests for a new piece finds it read and verified by the
// time it sends. Without `spawn`, prefetch() does nothing. (It was a oneTBB
// task arena per torrent: every load woke idle workers that spun and
// yielded, 380,000 sched_yield calls per seeder serving 250 torrents.)
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/metainfo.h"
#include "core/status.h"
#include "storage/storage.h"

namespace fluxo {

class UploadCache {
 public:
  using Piece = std::shared_ptr<const std::vector<std::uint8_t>>;
  // One block's bytes; `bytes` points into `owner`, which keeps them alive.
  struct Block {
    Piece owner;
    std::span<const std::uint8_t> bytes;
  };

  using Spawn = std::function<void(std::function<void()>)>;
  UploadCache(const Metainfo& meta, Storage& storage, std::size_t max_bytes, Spawn spawn = {});
  ~UploadCache();  // waits for its prefetches

  // Pieces held at most (0: block mode).
  std::size_t capacity() const { return capacity_; }

  // Bytes [begin, begin + length) of `piece`, which the caller has verified
  // (it is in `have`). Whole-piece mode: from the cached, SHA-1-checked piece
  // (ErrorCode::corrupt_data when the data on disk no longer matches). Block
  // mode: read alone, unhashed. io_error when it cannot be read;
  // invalid_argument when the range is outside the piece.
  Result<Block> get_block(PieceIndex piece, std::uint32_t begin, std::uint32_t length);

  // The whole piece, read and SHA-1 checked in either mode; cached only in
  // whole-piece mode. ErrorCode::corrupt_data / io_error as above.
  Result<Piece> get(PieceIndex piece);

  // Loads `piece` in the background unless it is cached or loading already.
  void prefetch(PieceIndex piece);

  // Drops a cached copy (the piece was found bad elsewhere).
  void forget(PieceIndex piece);

  std::uint64_t loads() const;        // whole pieces read and hashed
  std::uint64_t hits() const;         // whole-piece requests served from memory
  std::uint64_t block_reads() const;  // blocks read alone (block mode)
  std::uint64_t bytes_read() const;   // every byte read from storage
  std::size_t peak_pieces() const;    // most pieces held at once, loads included

 private:
  struct Entry {
    std::uint32_t index;
    Piece data;       // null while loading
    bool loading = true;
    Status error;     // set when the load failed
  };
  // Reads and hashes `piece` (no lock held).
  Result<Piece> load(PieceIndex piece);
  // Drops the least recently used entry that is not loading; false if none.
  bool evict_one();  // mu_ held

  const Metainfo& meta_;
  Storage& storage_;
  std::size_t capacity_;  // in pieces
  mutable std::mutex mu_;
  std::condition_variable loaded_;
  std::list<Entry> entries_;  // most recently used first; guarded by mu_
  std::uint64_t loads_ = 0, hits_ = 0;  // guarded by mu_
  std::size_t peak_ = 0;                // guarded by mu_
  std::atomic<std::uint64_t> block_reads_{0}, bytes_read_{0};
  Spawn spawn_;
  std::mutex prefetch_mu_;
  std::condition_variable prefetch_done_;
  int prefetching_ = 0;  // guarded by prefetch_mu_
};

}  // namespace fluxo
