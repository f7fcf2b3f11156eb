#include "pipeline/piece_picker.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <set>

#include "pipeline/active_piece.h"
#include "pipeline/swarm_state.h"
#include "pipeline/request_depth.h"

namespace fluxo {
namespace {

// Piece buffers for the tests: from a pool of 64 KiB buffers (the largest
// piece here), within a budget no test comes near.
PieceBuffer test_buffer() {
  static MemoryBudget budget(64u << 20);
  static PiecePool pool(budget, 64u << 10);
  return pool.try_acquire();
}

Bitfield all_of(std::uint32_t n) {
  Bitfield b(n);
  b.set_all();
  return b;
}

TEST(PiecePicker, PicksTheRarestPieceAfterTheRandomStart) {
  AtomicBitfield have(8), claimed(8);
  PiecePicker picker(8, have, claimed, /*random_first=*/0);
  Bitfield common = all_of(8);
  picker.add_peer(common);
  picker.add_peer(common);  // every piece: 2 copies
  Bitfield no6(8);
  for (std::uint32_t i = 0; i < 8; ++i) {
    if (i != 6) no6.set(PieceIndex(i));
  }
  picker.add_peer(no6);  // every piece but 6: 3 copies
  picker.add_have(PieceIndex(5));  // piece 5: 4 copies
  EXPECT_EQ(picker.availability(PieceIndex(6)), 2u);  // the rarest
  for (int seed = 0; seed < 20; ++seed) {
    std::minstd_rand rng(seed);
    auto p = picker.pick(common, rng);
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, PieceIndex(6));
    picker.unclaim(*p);
  }
}

TEST(PiecePicker, NeverHandsOutAClaimedOrHadPiece) {
  AtomicBitfield have(4), claimed(4);
  PiecePicker picker(4, have, claimed);
  Bitfield has = all_of(4);
  picker.add_peer(has);
  have.set(PieceIndex(0));
  std::minstd_rand rng(2);
  std::set<std::uint32_t> got;
  for (int i = 0; i < 3; ++i) {
    auto p = picker.pick(has, rng);
    ASSERT_TRUE(p);
    got.insert(p->value());
  }
  EXPECT_EQ(got, (std::set<std::uint32_t>{1, 2, 3}));
  EXPECT_FALSE(picker.pick(has, rng));
  EXPECT_FALSE(picker.anything_to_claim(has));
  picker.unclaim(PieceIndex(2));
  EXPECT_TRUE(picker.anything_to_claim(has));
  EXPECT_EQ(picker.pick(has, rng), PieceIndex(2));
}

TEST(PiecePicker, OnlyPiecesThePeerHas) {
  AtomicBitfield have(4), claimed(4);
  PiecePicker picker(4, have, claimed);
  Bitfield has(4);
  has.set(PieceIndex(2));
  std::minstd_rand rng(3);
  EXPECT_EQ(picker.pick(has, rng), PieceIndex(2));
  EXPECT_FALSE(picker.pick(has, rng));
}

TEST(PiecePicker, WordsOfAWireBitfieldMatchTheSharedOnes) {
  Bitfield b(130);
  AtomicBitfield a(130);
  for (std::uint32_t i : {0u, 9u, 63u, 64u, 100u, 129u}) {
    b.set(PieceIndex(i));
    a.set(PieceIndex(i));
  }
  for (std::uint32_t w = 0; w < 3; ++w) EXPECT_EQ(b.word(w), a.word(w)) << w;
  EXPECT_EQ(b.word(2), std::uint64_t{1} << 1);  // piece 129; bits past the end are 0
}

TEST(PiecePicker, AmongManyPiecesFindsTheFewOnOfferAndEveryOneOnce) {
  const std::uint32_t n = 50'000;
  AtomicBitfield have(n), claimed(n);
  PiecePicker picker(n, have, claimed, /*random_first=*/0);
  Bitfield peer(n);
  std::vector<std::uint32_t> offered{7, 64, 12'345, 49'999};
  for (auto i : offered) peer.set(PieceIndex(i));
  picker.add_peer(peer);
  std::minstd_rand rng(3);
  std::vector<std::uint32_t> got;
  while (auto p = picker.pick(peer, rng)) got.push_back(p->value());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, offered);
  EXPECT_FALSE(picker.anything_to_claim(peer));
}

TEST(PiecePicker, ARarePieceIsPickedFirstEvenFarFromTheStart) {
  const std::uint32_t n = 4'096;
  AtomicBitfield have(n), claimed(n);
  PiecePicker picker(n, have, claimed, 0);
  Bitfield all(n), others(n);
  all.set_all();
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i != 3'000) others.set(PieceIndex(i));
  }
  picker.add_peer(all);
  picker.add_peer(others);
  picker.add_peer(others);
  // Piece 3000 is on one peer only: rarer than any other, found whatever
  // the random start.
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::minstd_rand rng(seed);
    auto p = picker.pick(all, rng);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->value(), 3'000u) << seed;
    picker.unclaim(*p);
  }
}

TEST(ActivePiece, BlocksAreRequestedOnceThenDuplicatedOnlyInEndgame) {
  ActivePiece p(PieceIndex(1), 40000, test_buffer());
  EXPECT_EQ(p.block_count(), 3u);
  auto a = p.request_block(1);
  auto b = p.request_block(1);
  auto c = p.request_block(1);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(c->length, 40000u - 32768u);
  EXPECT_FALSE(p.request_block(1));
  std::vector<wire::BlockRef> mine{*c};
  auto dup = p.request_block(2, &mine);
  ASSERT_TRUE(dup);
  // Not the one this peer already asked for; of the others the last, which
  // sits furthest back in its peer's queue.
  EXPECT_EQ(dup->begin, b->begin);
  auto next = p.request_block(2);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->begin, c->begin);
}

// End-game copies go to the newest pieces first: the oldest are at the
// front of their peers' queues and arrive before a copy could.
TEST(ActiveRegistry, EndgameDuplicatesTheNewestPieceFirst) {
  ActiveRegistry reg;
  std::vector<std::shared_ptr<ActivePiece>> pieces;
  for (std::uint32_t i = 0; i < 4; ++i) {
    pieces.push_back(std::make_shared<ActivePiece>(PieceIndex(i), 16384, test_buffer()));
    ASSERT_TRUE(pieces.back()->request_block(1));
    reg.add(pieces.back());
  }
  reg.remove(pieces[1].get());  // the registry reorders on removal
  Bitfield all(4);
  for (std::uint32_t i = 0; i < 4; ++i) all.set(PieceIndex(i));
  wire::BlockRef ref;
  auto p = reg.find_work(all, 2, {}, nullptr, 7, ref);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->index(), PieceIndex(3));
  p = reg.find_work(all, 2, {}, nullptr, 7, ref);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->index(), PieceIndex(2));
  p = reg.find_work(all, 2, {}, nullptr, 7, ref);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->index(), PieceIndex(0));
  EXPECT_FALSE(reg.find_work(all, 2, {}, nullptr, 7, ref));  // each asked for twice now
}

TEST(ActivePiece, OnlyTheFirstArrivalWritesAndTheLastCompletes) {
  ActivePiece p(PieceIndex(0), 32768, test_buffer());
  (void)p.request_block(1);
  (void)p.request_block(1);
  auto a = p.begin_block(0, 16384, "10.0.0.1");
  EXPECT_EQ(a.arrival, ActivePiece::Arrival::write);
  EXPECT_EQ(p.begin_block(0, 16384, "10.0.0.2").arrival, ActivePiece::Arrival::duplicate);
  EXPECT_EQ(p.begin_block(100, 16384, "10.0.0.2").arrival, ActivePiece::Arrival::invalid);
  EXPECT_EQ(p.begin_block(16384, 100, "10.0.0.2").arrival, ActivePiece::Arrival::invalid);
  EXPECT_EQ(p.block_written(0, a.token), ActivePiece::Written::more);
  auto b = p.begin_block(16384, 16384, "10.0.0.2");
  EXPECT_EQ(b.arrival, ActivePiece::Arrival::write);
  EXPECT_EQ(p.block_written(16384, b.token), ActivePiece::Written::complete);
  EXPECT_EQ(p.sources(), (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(p.block_sources(), (std::vector<std::uint16_t>{0, 1}));
}

TEST(ActivePiece, AnAbortedBlockCanBeFetchedAgain) {
  ActivePiece p(PieceIndex(0), 16384, test_buffer());
  (void)p.request_block(1);
  auto c = p.begin_block(0, 16384, "10.0.0.1");
  EXPECT_EQ(c.arrival, ActivePiece::Arrival::write);
  p.abort_block(0, c.token);
  EXPECT_TRUE(p.request_block(1));
}

TEST(ActivePiece, ABannedSourcesBlocksLeaveThePieceEvenMidCopy) {
  ActivePiece p(PieceIndex(0), 3 * 16384, test_buffer());
  for (int i = 0; i < 3; ++i) (void)p.request_block(1);
  auto b0 = p.begin_block(0, 16384, "10.0.0.9");
  ASSERT_EQ(p.block_written(0, b0.token), ActivePiece::Written::more);
  auto b1 = p.begin_block(16384, 16384, "10.0.0.9");  // still copying
  ASSERT_EQ(b1.arrival, ActivePiece::Arrival::write);
  auto b2 = p.begin_block(32768, 16384, "10.0.0.1");
  ASSERT_EQ(p.block_written(32768, b2.token), ActivePiece::Written::more);
  EXPECT_EQ(p.drop_source("10.0.0.9"), 2u);
  EXPECT_EQ(p.block_written(16384, b1.token), ActivePiece::Written::discarded);
  EXPECT_FALSE(p.has_block(0));
  EXPECT_TRUE(p.has_block(32768));
  // Its later blocks are refused; both come back for others to fetch.
  EXPECT_EQ(p.begin_block(0, 16384, "10.0.0.9").arrival, ActivePiece::Arrival::duplicate);
  auto a = p.request_block(1);
  auto b = p.request_block(1);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->begin, 0u);
  EXPECT_EQ(b->begin, 16384u);
  auto c0 = p.begin_block(0, 16384, "10.0.0.1");
  EXPECT_EQ(p.block_written(0, c0.token), ActivePiece::Written::more);
  auto c1 = p.begin_block(16384, 16384, "10.0.0.1");
  EXPECT_EQ(p.block_written(16384, c1.token), ActivePiece::Written::complete);
}

TEST(ActivePiece, AStaleWriterCannotCountOrClearAnotherWritersBlock) {
  // The reviewer's case: a liar owned a single-source piece and is still
  // copying block 1 when the piece starts over with an honest owner.
  ActivePiece p(PieceIndex(0), 4 * 16384, test_buffer(), /*single_source=*/true);
  ASSERT_EQ(p.adopt(1), ActivePiece::Access::adopted);
  for (int i = 0; i < 4; ++i) (void)p.request_block(1);
  auto stale = p.begin_block(16384, 16384, "liar");
  ASSERT_EQ(stale.arrival, ActivePiece::Arrival::write);
  p.disown(1);
  ASSERT_EQ(p.adopt(2), ActivePiece::Access::adopted);
  // Block 1 is not requestable until the stale copy is over.
  std::vector<std::uint32_t> asked;
  while (auto r = p.request_block(1)) asked.push_back(r->begin);
  EXPECT_EQ(asked, (std::vector<std::uint32_t>{0, 32768, 49152}));
  EXPECT_EQ(p.block_written(16384, stale.token), ActivePiece::Written::discarded);
  auto r1 = p.request_block(1);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->begin, 16384u);
  std::vector<ActivePiece::Claim> honest;
  for (std::uint32_t begin : {0u, 16384u, 32768u}) honest.push_back(p.begin_block(begin, 16384, "honest"));
  // A stale abort or write with an old token changes nothing.
  p.abort_block(16384, stale.token);
  EXPECT_EQ(p.block_written(16384, stale.token), ActivePiece::Written::discarded);
  EXPECT_EQ(p.block_written(0, honest[0].token), ActivePiece::Written::more);
  EXPECT_EQ(p.block_written(16384, honest[1].token), ActivePiece::Written::more);
  EXPECT_EQ(p.block_written(32768, honest[2].token), ActivePiece::Written::more);
  auto last = p.begin_block(49152, 16384, "honest");
  EXPECT_EQ(p.block_written(49152, last.token), ActivePiece::Written::complete);
  auto who = p.block_sources();
  auto names = p.sources();
  for (auto w : who) EXPECT_EQ(names[w], "honest");
}

TEST(ActivePiece, ASealedPieceIgnoresDropsResetsAndLateBlocks) {
  ActivePiece p(PieceIndex(0), 16384, test_buffer(), /*single_source=*/true);
  ASSERT_EQ(p.adopt(1), ActivePiece::Access::adopted);
  (void)p.request_block(1);
  auto c = p.begin_block(0, 16384, "10.0.0.1");
  ASSERT_EQ(p.block_written(0, c.token), ActivePiece::Written::complete);
  EXPECT_EQ(p.drop_source("10.0.0.1"), 0u);
  p.disown(1);
  EXPECT_TRUE(p.has_block(0));
  EXPECT_EQ(p.begin_block(0, 16384, "10.0.0.2").arrival, ActivePiece::Arrival::duplicate);
}

TEST(ActivePiece, ASingleSourcePieceServesOnlyItsOwnerAndStartsOverWhenItLeaves) {
  ActivePiece p(PieceIndex(0), 2 * 16384, test_buffer(), /*single_source=*/true);
  EXPECT_EQ(p.adopt(1), ActivePiece::Access::adopted);
  EXPECT_EQ(p.adopt(2), ActivePiece::Access::denied);
  EXPECT_EQ(p.adopt(1), ActivePiece::Access::owner);
  (void)p.request_block(1);
  auto c = p.begin_block(0, 16384, "10.0.0.1");
  ASSERT_EQ(p.block_written(0, c.token), ActivePiece::Written::more);
  p.disown(2);  // not the owner: nothing happens
  EXPECT_TRUE(p.has_block(0));
  p.disown(1);
  EXPECT_FALSE(p.has_block(0));  // the next owner fetches the whole piece
  EXPECT_EQ(p.adopt(2), ActivePiece::Access::adopted);
}

TEST(ActiveRegistry, FindWorkSkipsSingleSourcePiecesOfOthersAndLeavesNoStrayOwner) {
  ActiveRegistry reg;
  auto piece = std::make_shared<ActivePiece>(PieceIndex(0), 16384, test_buffer(), true);
  reg.add(piece);
  Bitfield has(1);
  has.set(PieceIndex(0));
  wire::BlockRef ref;
  BlockSet refused{block_key(piece->block_ref(0))};
  // Session 5 finds nothing it may request: it must not stay the owner.
  EXPECT_EQ(reg.find_work(has, 1, {}, &refused, 5, ref), nullptr);
  EXPECT_EQ(reg.find_work(has, 1, {}, nullptr, 6, ref), piece);
  EXPECT_EQ(piece->adopt(6), ActivePiece::Access::owner);
  piece->return_block(0);
  EXPECT_EQ(reg.find_work(has, 1, {}, nullptr, 7, ref), nullptr);
}

TEST(CompletionLog, GrowsPastThePieceCountWithoutLosingEntries) {
  CompletionLog log(4);  // rounded up to 64 slots in the first segment
  for (std::uint32_t i = 0; i < 10'000; ++i) log.append(PieceIndex(i % 7));
  ASSERT_EQ(log.size(), 10'000u);
  for (std::uint32_t i = 0; i < 10'000; ++i) ASSERT_EQ(log.at(i), PieceIndex(i % 7)) << i;
}

TEST(RequestDepth, SlowStartGrowsThenFollowsTheRate) {
  using namespace std::chrono;
  RequestDepth d(16, 1000, 1.0);
  auto t = RequestDepth::Clock::time_point{} + seconds(100);
  d.update(t);
  for (int i = 0; i < 100; ++i) d.on_block(16384, t);
  EXPECT_EQ(d.depth(), 116u);
  // 100 blocks per second: the target is 100 outstanding at 1 s.
  for (int s = 1; s <= 6; ++s) {
    for (int i = 0; i < 100; ++i) d.on_block(16384, t + milliseconds(s * 1000 - 10 * (100 - i)));
    d.update(t + seconds(s));
  }
  EXPECT_FALSE(d.slow_start());
  EXPECT_NEAR(d.depth(), 100, 15);
  d.on_loss();
  EXPECT_LT(d.depth(), 60u);
  EXPECT_TRUE(d.slow_start());
}

// The queue covers half a second of the rate, or three of the shortest
// waits seen for a block when the path is longer than that.
TEST(RequestDepth, CoversHalfASecondOrThreeRoundTripsOfALongPath) {
  using namespace std::chrono;
  auto settle = [](RequestDepth& d) {
    auto t = RequestDepth::Clock::time_point{} + seconds(100);
    d.update(t);
    for (int s = 1; s <= 8; ++s) {  // 100 blocks per second
      for (int i = 0; i < 100; ++i) d.on_block(16384, t + milliseconds(s * 1000 - 10 * (100 - i)));
      d.update(t + seconds(s));
    }
    return d.depth();
  };
  RequestDepth lan(16, 1000);
  lan.on_wait(0.002);
  EXPECT_NEAR(settle(lan), 50, 8);  // 0.5 s of 100 blocks per second
  RequestDepth far(16, 1000);
  far.on_wait(0.9);
  far.on_wait(0.6);  // the shortest counts: the path, not our own queue
  far.on_wait(2.0);
  EXPECT_DOUBLE_EQ(far.target_seconds(), 1.8);
  EXPECT_NEAR(settle(far), 180, 25);
}

TEST(RequestDepth, IsCapped) {
  RequestDepth d(16, 200);
  auto t = RequestDepth::Clock::now();
  for (int i = 0; i < 1000; ++i) d.on_block(16384, t);
  EXPECT_EQ(d.depth(), 200u);
}

}  // namespace
}  // namespace fluxo
