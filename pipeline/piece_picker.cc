#include "pipeline/piece_picker.h"

#include <algorithm>
#include <bit>

namespace fluxo {

PiecePicker::PiecePicker(std::uint32_t piece_count, AtomicBitfield& have, AtomicBitfield& claimed,
                         std::uint32_t random_first)
    : count_(piece_count),
      have_(have),
      claimed_(claimed),
      random_first_(random_first),
      avail_(std::make_unique<std::atomic<std::uint32_t>[]>(piece_count)) {
  for (std::uint32_t i = 0; i < piece_count; ++i) avail_[i].store(0, std::memory_order_relaxed);
}

void PiecePicker::add_peer(const Bitfield& has) {
  if (has.all()) full_peers_.fetch_add(1, std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < count_; ++i) {
    if (has.test(PieceIndex(i))) avail_[i].fetch_add(1, std::memory_order_relaxed);
  }
}

void PiecePicker::remove_peer(const Bitfield& has) {
  if (has.all()) full_peers_.fetch_sub(1, std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < count_; ++i) {
    if (has.test(PieceIndex(i))) avail_[i].fetch_sub(1, std::memory_order_relaxed);
  }
}

void PiecePicker::add_have(PieceIndex piece) {
  avail_[piece.value()].fetch_add(1, std::memory_order_relaxed);
}

// Pieces `has` offers that nobody has claimed or verified, 64 at a time.
std::uint64_t PiecePicker::candidates(const Bitfield& has, std::uint32_t w) const {
  return has.word(w) & ~claimed_.word(w) & ~have_.word(w);
}

std::optional<PieceIndex> PiecePicker::scan(const Bitfield& has, std::uint32_t start, bool rarest) const {
  std::optional<PieceIndex> best;
  std::uint32_t best_avail = UINT32_MAX;
  // No piece is rarer than the floor: every peer that had every piece when
  // it came counts for every piece, and the picking peer has the piece.
  const std::int64_t full = full_peers_.load(std::memory_order_relaxed);
  const std::uint32_t floor = static_cast<std::uint32_t>(std::max<std::int64_t>(1, full));
  const std::uint32_t words = (count_ + 63) / 64;
  if (words == 0) return best;
  const std::uint32_t first = start / 64;
  // Word `first` is visited twice: its bits from `start` on, first, and
  // those below `start` at the end, after the wrap.
  for (std::uint32_t k = 0; k <= words; ++k) {
    const std::uint32_t w = (first + k) % words;
    std::uint64_t c = candidates(has, w);
    const std::uint64_t from_start = ~std::uint64_t{0} << (start % 64);
    if (k == 0) c &= from_start;
    if (k == words) c &= ~from_start;
    while (c) {
      const std::uint32_t i = w * 64 + static_cast<std::uint32_t>(std::countr_zero(c));
      c &= c - 1;
      if (!rarest) return PieceIndex(i);
      const std::uint32_t a = avail_[i].load(std::memory_order_relaxed);
      if (a < best_avail) {
        best = PieceIndex(i);
        best_avail = a;
        if (a <= floor) return best;  // nothing can be rarer
      }
    }
  }
  return best;
}

std::optional<PieceIndex> PiecePicker::pick(const Bitfield& has, std::minstd_rand& rng,
                                            std::optional<PieceIndex> after) {
  const bool random_phase = !have_.count_at_least(random_first_);
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::uint32_t start = count_ ? static_cast<std::uint32_t>(rng() % count_) : 0;
    if (after && !random_phase && attempt == 0) start = (after->value() + 1) % count_;
    auto p = scan(has, start, !random_phase);
    if (!p) return std::nullopt;
    if (claimed_.try_claim(*p)) return p;
    // Lost a race for it: look again.
  }
  return std::nullopt;
}

void PiecePicker::unclaim(PieceIndex piece) {
  claimed_.clear(piece);
}

bool PiecePicker::anything_to_claim(const Bitfield& has) const {
  for (std::uint32_t w = 0; w < (count_ + 63) / 64; ++w) {
    if (candidates(has, w)) return true;
  }
  return false;
}

}  // namespace fluxo
