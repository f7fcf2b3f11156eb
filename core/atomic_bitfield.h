// A fixed-size bitfield whose bits are set, cleared and claimed with atomic
// operations: the shared state through which peer tasks pick work without a
// global lock ("have": verified and on disk; "claimed": some peer is fetching
// it). Every member is safe to call from any thread. test() is a relaxed
// snapshot; try_claim() is the only way to win a piece.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>

#include "core/types.h"

namespace fluxo {

class AtomicBitfield {
 public:
  explicit AtomicBitfield(std::uint32_t size)
      : size_(size), words_(std::make_unique<std::atomic<std::uint64_t>[]>((size + 63) / 64)) {
    for (std::uint32_t w = 0; w < word_count(); ++w) words_[w].store(0, std::memory_order_relaxed);
  }

  std::uint32_t size() const { return size_; }

  bool test(PieceIndex i) const {
    return (words_[i.value() / 64].load(std::memory_order_acquire) >> (i.value() % 64)) & 1;
  }
  // Sets the bit; returns true if it was clear before.
  bool set(PieceIndex i) {
    std::uint64_t mask = std::uint64_t{1} << (i.value() % 64);
    return (words_[i.value() / 64].fetch_or(mask, std::memory_order_acq_rel) & mask) == 0;
  }
  // Claims a piece: true for exactly one caller until the bit is cleared.
  bool try_claim(PieceIndex i) { return set(i); }
  // Clears the bit; returns true if it was set before.
  bool clear(PieceIndex i) {
    std::uint64_t mask = std::uint64_t{1} << (i.value() % 64);
    return (words_[i.value() / 64].fetch_and(~mask, std::memory_order_acq_rel) & mask) != 0;
  }
  std::uint32_t count() const {
    std::uint32_t n = 0;
    for (std::uint32_t w = 0; w < word_count(); ++w) {
      n += static_cast<std::uint32_t>(std::popcount(words_[w].load(std::memory_order_relaxed)));
    }
    return n;
  }
  bool all() const { return count() == size_; }

 private:
  std::uint32_t word_count() const { return (size_ + 63) / 64; }
  std::uint32_t size_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> words_;
};

}  // namespace fluxo
