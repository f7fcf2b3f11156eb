#include "pipeline/piece_picker.h"

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
  for (std::uint32_t i = 0; i < count_; ++i) {
    if (has.test(PieceIndex(i))) avail_[i].fetch_add(1, std::memory_order_relaxed);
  }
}

void PiecePicker::remove_peer(const Bitfield& has) {
  for (std::uint32_t i = 0; i < count_; ++i) {
    if (has.test(PieceIndex(i))) avail_[i].fetch_sub(1, std::memory_order_relaxed);
  }
}

void PiecePicker::add_have(PieceIndex piece) {
  avail_[piece.value()].fetch_add(1, std::memory_order_relaxed);
}

std::optional<PieceIndex> PiecePicker::scan(const Bitfield& has, std::uint32_t start, bool rarest) const {
  std::optional<PieceIndex> best;
  std::uint32_t best_avail = UINT32_MAX;
  for (std::uint32_t k = 0; k < count_; ++k) {
    std::uint32_t i = start + k;
    if (i >= count_) i -= count_;
    PieceIndex p(i);
    if (!has.test(p) || claimed_.test(p) || have_.test(p)) continue;
    if (!rarest) return p;
    std::uint32_t a = avail_[i].load(std::memory_order_relaxed);
    if (a < best_avail) {
      best = p;
      best_avail = a;
      if (a <= 1) break;  // nothing is rarer than a piece only this peer has
    }
  }
  return best;
}

std::optional<PieceIndex> PiecePicker::pick(const Bitfield& has, std::minstd_rand& rng) {
  const bool random_phase = have_.count() < random_first_;
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::uint32_t start = count_ ? static_cast<std::uint32_t>(rng() % count_) : 0;
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
  for (std::uint32_t i = 0; i < count_; ++i) {
    PieceIndex p(i);
    if (has.test(p) && !claimed_.test(p) && !have_.test(p)) return true;
  }
  return false;
}

}  // namespace fluxo
