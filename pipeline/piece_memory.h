// Memory for pieces being downloaded, shared by every torrent of a session.
//
// MemoryBudget is the session's cap in bytes. Each torrent draws from it
// through its own PiecePool (buffers of the torrent's piece length); a
// buffer travels as a PieceBuffer, an owning handle that gives its memory
// back to the pool when it is destroyed or reset, so no code path has to
// remember to return it. A pool may always hold `guaranteed` buffers even
// when the budget is spent, so every running torrent makes progress: the
// most ever in use is max(cap, running torrents x guaranteed x piece size),
// proportional to the pieces in flight, not to the number of torrents.
//
// Freed buffers are kept for reuse (their pages are already faulted in) as
// long as in-use plus kept bytes stay within the cap; a buffer of another
// size evicts kept ones. Buffers are page-aligned (O_DIRECT writes).
//
// Thread-safety: everything may be called from any thread. A PiecePool must
// outlive its buffers, and the budget its pools.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace fluxo {

class PiecePool;

class PieceBuffer {
 public:
  PieceBuffer() = default;
  PieceBuffer(PieceBuffer&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)), data_(std::exchange(o.data_, nullptr)) {}
  PieceBuffer& operator=(PieceBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      pool_ = std::exchange(o.pool_, nullptr);
      data_ = std::exchange(o.data_, nullptr);
    }
    return *this;
  }
  PieceBuffer(const PieceBuffer&) = delete;
  PieceBuffer& operator=(const PieceBuffer&) = delete;
  ~PieceBuffer() { reset(); }

  std::uint8_t* data() const { return data_; }
  explicit operator bool() const { return data_ != nullptr; }
  // Gives the memory back now.
  void reset();

 private:
  friend class PiecePool;
  PieceBuffer(PiecePool* pool, std::uint8_t* data) : pool_(pool), data_(data) {}
  PiecePool* pool_ = nullptr;
  std::uint8_t* data_ = nullptr;
};

class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t cap_bytes) : cap_(cap_bytes) {}
  ~MemoryBudget();
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  std::size_t cap() const { return cap_; }
  std::size_t in_use() const;  // bytes handed out
  std::size_t peak() const;    // the most ever handed out at once

 private:
  friend class PiecePool;
  // nullptr when `size` more bytes would pass the cap and `force` is unset.
  std::uint8_t* acquire(std::size_t size, bool force);
  void release(std::uint8_t* p, std::size_t size);

  const std::size_t cap_;
  mutable std::mutex mu_;
  std::size_t in_use_ = 0;   // guarded by mu_
  std::size_t peak_ = 0;     // guarded by mu_
  std::size_t kept_bytes_ = 0;  // guarded by mu_
  std::vector<std::pair<std::size_t, std::uint8_t*>> kept_;  // guarded by mu_; freed, for reuse
};

class PiecePool {
 public:
  PiecePool(MemoryBudget& budget, std::size_t buffer_size, std::size_t guaranteed = 4)
      : budget_(budget), size_(buffer_size), guaranteed_(guaranteed) {}
  PiecePool(const PiecePool&) = delete;
  PiecePool& operator=(const PiecePool&) = delete;

  // An empty handle when the budget is spent (and this pool already holds
  // its guaranteed buffers).
  PieceBuffer try_acquire();
  std::size_t buffer_size() const { return size_; }
  std::size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  std::size_t peak_in_use() const { return peak_.load(std::memory_order_relaxed); }
  // The most this pool can count on: the budget or its guarantee.
  std::size_t cap_bytes() const;

 private:
  friend class PieceBuffer;
  void give_back(std::uint8_t* p);
  MemoryBudget& budget_;
  const std::size_t size_;
  const std::size_t guaranteed_;
  std::atomic<std::size_t> in_use_{0};
  std::atomic<std::size_t> peak_{0};
};

}  // namespace fluxo
