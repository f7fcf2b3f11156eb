// Which piece a peer should fetch next: rarest first among the pieces the
// peer has and nobody has claimed (scanned 64 at a time, and the scan stops
// at the first piece at the availability floor, the peers that came with
// every piece: with seeders only, the first candidate; an exact scan per pick
// had cost most of a download's CPU with tens of thousands of small pieces), with random picks for the first few
// pieces (so that a new download quickly has something to trade) and random
// tie-breaking. Claims go through the shared AtomicBitfield, so two peers
// never win the same piece and picking takes no lock.
//
// Thread-safety: every member may be called from any peer task. The
// availability counts are relaxed atomics: a slightly stale count only
// changes which of two rare pieces is picked first.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>

#include "core/atomic_bitfield.h"
#include "core/bitfield.h"

namespace fluxo {

class PiecePicker {
 public:
  PiecePicker(std::uint32_t piece_count, AtomicBitfield& have, AtomicBitfield& claimed,
              std::uint32_t random_first = 4);

  // Availability bookkeeping as peers announce and leave.
  void add_peer(const Bitfield& has);
  void remove_peer(const Bitfield& has);
  void add_have(PieceIndex piece);
  std::uint32_t availability(PieceIndex piece) const {
    return avail_[piece.value()].load(std::memory_order_relaxed);
  }

  // Claims and returns a piece `has` offers, or nullopt if every piece it
  // offers is already had or claimed. (Who fetches a piece again after a
  // hash failure is decided by blame, not here: see pipeline/blame.h.)
  // `after`: the piece this peer picked last. Among equally rare pieces
  // the scan goes on from there, so a peer fetches runs of adjacent pieces
  // (written with one call each) rather than scattered ones.
  std::optional<PieceIndex> pick(const Bitfield& has, std::minstd_rand& rng,
                                 std::optional<PieceIndex> after = std::nullopt);

  // Gives a claimed piece back (after a hash failure or an abandoned fetch).
  void unclaim(PieceIndex piece);

  // True when some piece `has` offers is neither had nor claimed.
  bool anything_to_claim(const Bitfield& has) const;

 private:
  std::uint64_t candidates(const Bitfield& has, std::uint32_t w) const;
  std::optional<PieceIndex> scan(const Bitfield& has, std::uint32_t start, bool rarest) const;
  std::uint32_t count_;
  AtomicBitfield& have_;
  AtomicBitfield& claimed_;
  std::uint32_t random_first_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> avail_;
  std::atomic<std::int64_t> full_peers_{0};  // peers added with every piece (a floor of availability)
};

}  // namespace fluxo
