#include "pipeline/choker.h"
#include "pipeline/upload_queue.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const Clock::time_point kT0 = Clock::time_point{} + 1000h;

ChokeCandidate peer(std::uint32_t id, double down, double up = 0, bool interested = true) {
  ChokeCandidate c;
  c.id = id;
  c.interested = interested;
  c.download_rate = down;
  c.upload_rate = up;
  c.connected_at = kT0 - 1h;  // not a newcomer
  return c;
}

bool has(const std::vector<std::uint32_t>& v, std::uint32_t id) { return std::find(v.begin(), v.end(), id) != v.end(); }

TEST(Choker, RegularSlotsGoToTheFastestInterestedUploadersWhileLeeching) {
  Choker choker({.slots = 2}, 1);
  std::vector<ChokeCandidate> peers{peer(1, 100), peer(2, 500), peer(3, 300), peer(4, 900, 0, false)};
  auto out = choker.decide(peers, false, kT0);
  EXPECT_TRUE(has(out, 2));
  EXPECT_TRUE(has(out, 3));
  EXPECT_FALSE(has(out, 4));  // not interested: never unchoked
  // The third interested peer is the only one left for the optimistic slot.
  EXPECT_EQ(choker.optimistic(), 1u);
  EXPECT_EQ(out.size(), 3u);
}

TEST(Choker, SeedingRanksByOurUploadRate) {
  Choker choker({.slots = 1}, 1);
  std::vector<ChokeCandidate> peers{peer(1, 900, 10), peer(2, 0, 800), peer(3, 0, 20)};
  auto out = choker.decide(peers, true, kT0);
  EXPECT_TRUE(has(out, 2));
  EXPECT_NE(choker.optimistic(), 2u);
}

TEST(Choker, SnubbedPeerLosesItsRegularSlotOnlyWhileLeeching) {
  std::vector<ChokeCandidate> peers{peer(1, 900, 900), peer(2, 100, 100), peer(3, 50, 50)};
  peers[0].snubbed = true;
  Choker leech({.slots = 1}, 1);
  auto out = leech.decide(peers, false, kT0);
  EXPECT_TRUE(has(out, 2));
  EXPECT_NE(leech.optimistic(), 2u);  // 1 or 3: the snubber may still be the optimistic one
  Choker seed({.slots = 1}, 1);
  out = seed.decide(peers, true, kT0);
  EXPECT_TRUE(has(out, 1));
}

TEST(Choker, NoOneIsChokedBetweenRechokesButFreeSlotsFillAtOnce) {
  Choker choker({.slots = 2}, 7);
  std::vector<ChokeCandidate> peers{peer(1, 100)};
  auto out = choker.decide(peers, false, kT0);
  EXPECT_EQ(out, std::vector<std::uint32_t>{1});
  // A newcomer one second later takes the free regular slot immediately.
  peers.push_back(peer(2, 0));
  out = choker.decide(peers, false, kT0 + 1s);
  EXPECT_TRUE(has(out, 1));
  EXPECT_TRUE(has(out, 2));
  // A much faster third peer does not displace anyone before the rechoke...
  peers.push_back(peer(3, 5000));
  peers[1].download_rate = 1;
  out = choker.decide(peers, false, kT0 + 5s);
  EXPECT_TRUE(has(out, 1));
  EXPECT_TRUE(has(out, 2));
  EXPECT_EQ(choker.optimistic(), 3u);  // (it is the only one outside the regular set)
  // ...and wins a regular slot at the rechoke, the slowest loses its own.
  peers.push_back(peer(4, 0));
  out = choker.decide(peers, false, kT0 + 10s);
  EXPECT_TRUE(has(out, 3));
  EXPECT_TRUE(has(out, 1));
  EXPECT_TRUE(choker.optimistic() == 2u || choker.optimistic() == 4u);
}

TEST(Choker, PeersThatLeaveOrLoseInterestFreeTheirSlots) {
  Choker choker({.slots = 1}, 3);
  std::vector<ChokeCandidate> peers{peer(1, 100), peer(2, 50), peer(3, 10)};
  auto out = choker.decide(peers, false, kT0);
  ASSERT_TRUE(has(out, 1));
  peers.erase(peers.begin());  // 1 disconnects
  peers[0].interested = false;  // 2 has everything it wants
  out = choker.decide(peers, false, kT0 + 2s);
  EXPECT_EQ(out, std::vector<std::uint32_t>{3});
}

TEST(Choker, OptimisticUnchokeRotatesEveryThirtySecondsNotBefore) {
  Choker choker({.slots = 1}, 11);
  std::vector<ChokeCandidate> peers{peer(1, 1000)};
  for (std::uint32_t i = 2; i <= 9; ++i) peers.push_back(peer(i, 0));
  choker.decide(peers, false, kT0);
  std::uint32_t first = choker.optimistic();
  ASSERT_NE(first, UINT32_MAX);
  ASSERT_NE(first, 1u);
  for (int s = 10; s < 30; s += 10) {
    choker.decide(peers, false, kT0 + std::chrono::seconds(s));
    EXPECT_EQ(choker.optimistic(), first) << "rotated after " << s << " s";
  }
  // Over several rotations, more than one peer gets the slot.
  std::vector<std::uint32_t> seen{first};
  for (int s = 30; s <= 300; s += 30) {
    choker.decide(peers, false, kT0 + std::chrono::seconds(s));
    if (!has(seen, choker.optimistic())) seen.push_back(choker.optimistic());
  }
  EXPECT_GE(seen.size(), 3u);
}

TEST(Choker, NewcomersAreThreeTimesAsLikelyToBeTheOptimisticUnchoke) {
  int newcomer = 0;
  const int trials = 2000;
  for (int seed = 0; seed < trials; ++seed) {
    Choker choker({.slots = 1}, static_cast<std::uint32_t>(seed));
    std::vector<ChokeCandidate> peers{peer(1, 1000), peer(2, 0), peer(3, 0)};
    peers[2].connected_at = kT0 - 5s;
    choker.decide(peers, false, kT0);
    newcomer += choker.optimistic() == 3u;
  }
  // Expected 3/4 of the draws.
  EXPECT_GT(newcomer, trials * 65 / 100);
  EXPECT_LT(newcomer, trials * 85 / 100);
}

}  // namespace
}  // namespace fluxo

namespace fluxo {
namespace {

TEST(WindowCounter, CountsOnlyTheRecentPast) {
  using namespace std::chrono_literals;
  WindowCounter c(10s);
  auto t = WindowCounter::Clock::time_point{} + 1000s;
  std::uint32_t n = 0;
  for (int i = 0; i < 100; ++i) n = c.add(t);
  EXPECT_EQ(n, 100u);
  // Half a window later the old events count for half.
  n = c.add(t + 15s);
  EXPECT_GE(n, 45u);
  EXPECT_LE(n, 55u);
  // Hours of ordinary bursts never add up.
  for (int h = 0; h < 1000; ++h) {
    auto at = t + 60s + std::chrono::seconds(30 * h);
    for (int i = 0; i < 100; ++i) n = c.add(at);
    EXPECT_LE(n, 101u);
  }
}

}  // namespace
}  // namespace fluxo
