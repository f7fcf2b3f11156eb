// Whole verified pieces for uploading, read from storage on demand.
//
// A request for a block loads its whole piece (one pread per file span),
// checks its SHA-1 against the metainfo, and keeps it for the blocks that
// follow: peers ask for a piece's blocks together, so a few pieces serve
// most requests. Data that fails the check (a file changed or truncated
// underneath us) is never handed out: get() reports it and the caller marks
// the piece missing. Memory: at most `max_bytes` of cached pieces (at least
// two), plus pieces still held by senders. Thread-safe; concurrent requests
// for the same piece share one load.
//
// prefetch() starts a load on a oneTBB task arena of its own (one thread per
// core, a few loads at most in flight), so a session that queues requests
// for a new piece finds it read and verified by the time it sends: reading
// and hashing run beside the sending instead of in front of it.
#pragma once

#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "core/metainfo.h"
#include "core/status.h"
#include "storage/file_storage.h"

namespace fluxo {

class UploadCache {
 public:
  using Piece = std::shared_ptr<const std::vector<std::uint8_t>>;

  UploadCache(const Metainfo& meta, FileStorage& storage, std::size_t max_bytes);
  ~UploadCache();

  // The verified bytes of `piece`. ErrorCode::corrupt_data when its data on
  // disk no longer matches the hash; io_error when it cannot be read.
  Result<Piece> get(PieceIndex piece);

  // Loads `piece` in the background unless it is cached or loading already.
  void prefetch(PieceIndex piece);

  // Drops a cached copy (the piece was found bad elsewhere).
  void forget(PieceIndex piece);

  std::uint64_t loads() const;   // pieces read and hashed
  std::uint64_t hits() const;    // get() calls served from memory

 private:
  struct Entry {
    std::uint32_t index;
    Piece data;       // null while loading
    bool loading = true;
    Status error;     // set when the load failed
  };
  const Metainfo& meta_;
  FileStorage& storage_;
  std::size_t capacity_;  // in pieces
  mutable std::mutex mu_;
  std::condition_variable loaded_;
  std::list<Entry> entries_;  // most recently used first; guarded by mu_
  std::uint64_t loads_ = 0, hits_ = 0;
  std::atomic<int> prefetching_{0};
  oneapi::tbb::task_arena arena_;
  oneapi::tbb::task_group group_;  // runs in arena_; waited for on destruction
};

}  // namespace fluxo
