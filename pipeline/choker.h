// Decides which peers we upload to: tit-for-tat as in BEP 3 and Cohen's
// "Incentives Build Robustness in BitTorrent".
//
// - Every `rechoke` (10 s) the regular slots go to the interested peers with
//   the best rate: the rate they send to us while we download, the rate we
//   send to them once we seed (so data goes where it moves fastest).
// - One more slot is the optimistic unchoke, rotated every `optimistic`
//   (30 s) among interested peers outside the regular set, peers connected
//   for less than a minute three times as likely, so newcomers get a first
//   piece to trade with.
// - Anti-snubbing: while downloading, a peer that stopped sending to us
//   (snubbed) loses its regular slot; it can still be the optimistic one.
// - Between rechokes, free slots are filled at once (a new peer does not wait
//   10 s for an idle seeder), but nobody is choked early.
//
// Pure logic over a snapshot, driven by the caller's clock: unit-tested with
// fakes. Not thread-safe; the engine's supervisor calls it once a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace fluxo {

struct ChokeCandidate {
  using Clock = std::chrono::steady_clock;
  std::uint32_t id = 0;
  bool interested = false;     // the peer wants something we have
  bool snubbed = false;        // it stopped sending to us
  bool unchoked = false;       // our current decision for it
  double download_rate = 0;    // bytes/s it sends us
  double upload_rate = 0;      // bytes/s we send it
  Clock::time_point connected_at{};
};

struct ChokerConfig {
  unsigned slots = 4;  // regular unchoke slots (the optimistic one is extra)
  std::chrono::seconds rechoke{10};
  std::chrono::seconds optimistic{30};
  std::chrono::seconds newcomer{60};  // connected this recently: 3x optimistic weight
};

class Choker {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Choker(ChokerConfig config, std::uint32_t seed = std::random_device{}())
      : cfg_(config), rng_(seed) {}

  // Returns the ids to keep or make unchoked; every other candidate is
  // choked. `seeding`: rank by upload rate instead of download rate.
  std::vector<std::uint32_t> decide(std::span<const ChokeCandidate> peers, bool seeding, Clock::time_point now);

  // The current optimistic unchoke (UINT32_MAX when none), for tests and logs.
  std::uint32_t optimistic() const { return optimistic_; }

 private:
  std::uint32_t pick_optimistic(std::span<const ChokeCandidate> peers, const std::vector<std::uint32_t>& regular,
                                Clock::time_point now);

  ChokerConfig cfg_;
  std::minstd_rand rng_;
  bool started_ = false;
  Clock::time_point last_rechoke_{};
  Clock::time_point last_optimistic_{};
  std::uint32_t optimistic_ = UINT32_MAX;
  std::vector<std::uint32_t> regular_;
};

}  // namespace fluxo
