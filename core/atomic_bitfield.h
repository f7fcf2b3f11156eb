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
    const bool was_clear = (words_[i.value() / 64].fetch_or(mask, std::memory_order_acq_rel) & mask) == 0;
    if (was_clear) count_.fetch_add(1, std::memory_order_acq_rel);
    return was_clear;
  }
  // Claims a piece: true for exactly one caller until the bit is cleared.
  bool try_claim(PieceIndex i) { return set(i); }
  // Clears the bit; returns true if it was set before.
  bool clear(PieceIndex i) {
    std::uint64_t mask = std::uint64_t{1} << (i.value() % 64);
    const bool was_set = (words_[i.value() / 64].fetch_and(~mask, std::memory_order_acq_rel) & mask) != 0;
    if (was_set) count_.fetch_sub(1, std::memory_order_acq_rel);
    return was_set;
  }
  // Bits set (kept as they change: asked on every loop of every connection).
  // It follows each set() or clear() just after the bit itself changed.
  std::uint32_t count() const { return count_.load(std::memory_order_acquire); }
  bool all() const { return count() == size_; }
  // Whether at least n bits are set (stops counting there).
  bool count_at_least(std::uint32_t n) const {
    std::uint32_t c = 0;
    for (std::uint32_t w = 0; w < word_count() && c < n; ++w) {
      c += static_cast<std::uint32_t>(std::popcount(words_[w].load(std::memory_order_relaxed)));
    }
    return c >= n;
  }
  // Bits [64 w, 64 w + 64), bit i of the torrent in bit i % 64 (a relaxed
  // snapshot), for scans a word at a time.
  std::uint64_t word(std::uint32_t w) const { return words_[w].load(std::memory_order_relaxed); }
  std::uint32_t word_count() const { return (size_ + 63) / 64; }

 private:
  std::uint32_t size_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> words_;
  std::atomic<std::uint32_t> count_{0};
};

}  // namespace fluxo
