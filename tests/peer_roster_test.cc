// The connection budget: limits by direction and address, and eviction of
// useless peers, with a fake clock.
#include <gtest/gtest.h>

#include "pipeline/peer_roster.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<PeerLink> link(std::uint32_t id, const std::string& ip, bool incoming,
                               PeerLink::Clock::time_point at = PeerLink::Clock::now()) {
  auto l = std::make_shared<PeerLink>(id, ip, incoming, at);
  l->ready.store(true);  // handshaken
  return l;
}

ConnectionLimits limits(unsigned total, unsigned incoming, unsigned per_ip = 2) {
  ConnectionLimits l;
  l.total = total;
  l.incoming = incoming;
  l.per_ip = per_ip;
  return l;
}

TEST(PeerRoster, IncomingConnectionsCannotTakeMoreThanTheirShare) {
  ConnectionLimits l = limits(4, 2);
  l.probation = 0;
  PeerRoster r(l);
  auto now = PeerLink::Clock::now();
  EXPECT_TRUE(r.admit(link(1, "10.0.0.1", true), now));
  EXPECT_TRUE(r.admit(link(2, "10.0.0.2", true), now));
  EXPECT_FALSE(r.admit(link(3, "10.0.0.3", true), now));
  EXPECT_TRUE(r.admit(link(4, "10.0.0.4", false), now));
  EXPECT_TRUE(r.admit(link(5, "10.0.0.5", false), now));
  EXPECT_FALSE(r.admit(link(6, "10.0.0.6", false), now));
  EXPECT_EQ(r.size(), 4u);
  EXPECT_TRUE(r.full());
}

TEST(PeerRoster, OneAddressGetsAtMostPerIpConnections) {
  PeerRoster r(limits(10, 10, 2));
  auto now = PeerLink::Clock::now();
  EXPECT_TRUE(r.admit(link(1, "10.0.0.1", true), now));
  EXPECT_TRUE(r.admit(link(2, "10.0.0.1", false), now));
  EXPECT_FALSE(r.admit(link(3, "10.0.0.1", true), now));
}

TEST(PeerRoster, ANewcomerOnProbationTakesASquattersSlotOnlyOnceItProvesUseful) {
  PeerRoster r(limits(2, 2));
  auto t0 = PeerLink::Clock::now();
  auto squatter = link(1, "10.0.0.1", true, t0);
  auto leecher = link(2, "10.0.0.2", true, t0);
  ASSERT_TRUE(r.admit(squatter, t0));
  ASSERT_TRUE(r.admit(leecher, t0));
  leecher->interested.store(true);  // waits for an unchoke: not useless
  auto later = t0 + 6s;
  auto idler = link(3, "10.0.0.3", true, later);
  auto newcomer = link(4, "10.0.0.4", true, later);
  ASSERT_TRUE(r.admit(idler, later));  // on probation, evicting nobody yet
  ASSERT_TRUE(r.admit(newcomer, later));
  EXPECT_TRUE(newcomer->provisional.load());
  EXPECT_FALSE(squatter->drop->load());
  newcomer->interested.store(true);
  EXPECT_TRUE(r.promote(*newcomer, later));
  EXPECT_FALSE(newcomer->provisional.load());
  EXPECT_TRUE(squatter->drop->load());
  EXPECT_FALSE(leecher->drop->load());
  // The idler never proves anything: its probation runs out.
  EXPECT_EQ(r.expire_probation(later + 5s), 0u);
  EXPECT_EQ(r.expire_probation(later + 10s), 1u);
  EXPECT_TRUE(idler->drop->load());
  EXPECT_EQ(r.size(), 2u);
}

TEST(PeerRoster, ProbationIsBoundedAndUsefulPeersAreNeverEvicted) {
  ConnectionLimits l = limits(1, 1);
  l.probation = 1;
  PeerRoster r(l);
  auto t0 = PeerLink::Clock::now();
  auto busy = link(1, "10.0.0.1", true, t0);
  ASSERT_TRUE(r.admit(busy, t0));
  busy->interested.store(true);
  auto later = t0 + 60s;
  busy->mark_useful(later - 1s);  // it takes blocks
  auto a = link(2, "10.0.0.2", true, later);
  ASSERT_TRUE(r.admit(a, later));
  EXPECT_FALSE(r.admit(link(3, "10.0.0.3", true, later), later));  // probation is full
  a->interested.store(true);
  EXPECT_FALSE(r.promote(*a, later));  // nobody useless to replace
  EXPECT_FALSE(busy->drop->load());
}

TEST(PeerRoster, APeerWithWhatWeNeedIsKeptUntilItProvesStingy) {
  PeerRoster r(limits(1, 1));
  auto t0 = PeerLink::Clock::now();
  auto seeder = link(1, "10.0.0.1", false);
  ASSERT_TRUE(r.admit(seeder, t0));
  seeder->wanted.store(true);  // it has pieces we lack
  EXPECT_FALSE(r.evict_one(false, t0 + 10s));
  seeder->mark_useful(t0 + 10s);  // it sent a block
  EXPECT_FALSE(r.evict_one(false, t0 + 30s));
  EXPECT_TRUE(r.evict_one(false, t0 + 41s));  // then nothing for 30 s
  EXPECT_TRUE(seeder->drop->load());
  EXPECT_EQ(r.size(), 0u);
}

TEST(PeerRoster, DroppingAnAddressEndsAllItsConnections) {
  PeerRoster r(limits(10, 10));
  auto now = PeerLink::Clock::now();
  auto a = link(1, "10.0.0.1", true), b = link(2, "10.0.0.1", false), c = link(3, "10.0.0.2", false);
  for (auto& l : {a, b, c}) ASSERT_TRUE(r.admit(l, now));
  EXPECT_EQ(r.drop_ip("10.0.0.1"), 2u);
  EXPECT_TRUE(a->drop->load());
  EXPECT_TRUE(b->drop->load());
  EXPECT_FALSE(c->drop->load());
  EXPECT_EQ(r.size(), 1u);
}

TEST(PeerRoster, InterestAloneDoesNotProtectASquatterForEver) {
  PeerRoster r(limits(1, 1));
  auto t0 = PeerLink::Clock::now();
  auto squatter = link(1, "10.0.0.1", true, t0);
  ASSERT_TRUE(r.admit(squatter, t0));
  squatter->interested.store(true);  // says so, and never takes a block
  EXPECT_FALSE(r.evict_one(true, t0 + 20s));
  EXPECT_TRUE(r.evict_one(true, t0 + 31s));
}

TEST(PeerRoster, AConnectionStillShakingHandsIsNotEvicted) {
  PeerRoster r(limits(1, 1));
  auto t0 = PeerLink::Clock::now();
  auto dialling = std::make_shared<PeerLink>(1, "10.0.0.1", false, t0);
  ASSERT_TRUE(r.admit(dialling, t0));
  EXPECT_FALSE(r.evict_one(false, t0 + 60s));
}

TEST(PeerRoster, TheChokerSeesOnlyHandshakenPeers) {
  PeerRoster r(limits(10, 10));
  auto now = PeerLink::Clock::now();
  auto a = link(1, "10.0.0.1", true), b = link(2, "10.0.0.2", true);
  a->ready.store(false);
  ASSERT_TRUE(r.admit(a, now));
  ASSERT_TRUE(r.admit(b, now));
  auto s = r.snapshot();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0], b);
}

}  // namespace
}  // namespace fluxo
