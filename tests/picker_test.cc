#include "pipeline/piece_picker.h"

#include <gtest/gtest.h>

#include <set>

#include "pipeline/active_piece.h"
#include "pipeline/swarm_state.h"
#include "pipeline/request_depth.h"

namespace fluxo {
namespace {

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
  picker.add_have(PieceIndex(5));  // piece 5: 3 copies
  Bitfield only6(8);
  only6.set(PieceIndex(6));
  picker.remove_peer(only6);  // piece 6: 1 copy, the rarest
  EXPECT_EQ(picker.availability(PieceIndex(6)), 1u);
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

TEST(ActivePiece, BlocksAreRequestedOnceThenDuplicatedOnlyInEndgame) {
  std::vector<std::uint8_t> buf(40000);
  ActivePiece p(PieceIndex(1), 40000, buf.data());
  EXPECT_EQ(p.block_count(), 3u);
  auto a = p.request_block(1);
  auto b = p.request_block(1);
  auto c = p.request_block(1);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(c->length, 40000u - 32768u);
  EXPECT_FALSE(p.request_block(1));
  std::vector<wire::BlockRef> mine{*a};
  auto dup = p.request_block(2, &mine);
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->begin, b->begin);  // not the one this peer already asked for
}

TEST(ActivePiece, OnlyTheFirstArrivalWritesAndTheLastCompletes) {
  std::vector<std::uint8_t> buf(32768);
  ActivePiece p(PieceIndex(0), 32768, buf.data());
  (void)p.request_block(1);
  (void)p.request_block(1);
  EXPECT_EQ(p.begin_block(0, 16384, "10.0.0.1"), ActivePiece::Arrival::write);
  EXPECT_EQ(p.begin_block(0, 16384, "10.0.0.2"), ActivePiece::Arrival::duplicate);
  EXPECT_EQ(p.begin_block(100, 16384, "10.0.0.2"), ActivePiece::Arrival::invalid);
  EXPECT_EQ(p.begin_block(16384, 100, "10.0.0.2"), ActivePiece::Arrival::invalid);
  EXPECT_EQ(p.block_written(0), ActivePiece::Written::more);
  EXPECT_EQ(p.begin_block(16384, 16384, "10.0.0.2"), ActivePiece::Arrival::write);
  EXPECT_EQ(p.block_written(16384), ActivePiece::Written::complete);
  EXPECT_EQ(p.sources(), (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(p.block_sources(), (std::vector<std::uint16_t>{0, 1}));
}

TEST(ActivePiece, AnAbortedBlockCanBeFetchedAgain) {
  std::vector<std::uint8_t> buf(16384);
  ActivePiece p(PieceIndex(0), 16384, buf.data());
  (void)p.request_block(1);
  EXPECT_EQ(p.begin_block(0, 16384, "10.0.0.1"), ActivePiece::Arrival::write);
  p.abort_block(0);
  EXPECT_TRUE(p.request_block(1));
}

TEST(ActivePiece, ABannedSourcesBlocksLeaveThePieceEvenMidCopy) {
  std::vector<std::uint8_t> buf(3 * 16384);
  ActivePiece p(PieceIndex(0), 3 * 16384, buf.data());
  for (int i = 0; i < 3; ++i) (void)p.request_block(1);
  ASSERT_EQ(p.begin_block(0, 16384, "10.0.0.9"), ActivePiece::Arrival::write);
  ASSERT_EQ(p.block_written(0), ActivePiece::Written::more);
  ASSERT_EQ(p.begin_block(16384, 16384, "10.0.0.9"), ActivePiece::Arrival::write);  // still copying
  ASSERT_EQ(p.begin_block(32768, 16384, "10.0.0.1"), ActivePiece::Arrival::write);
  ASSERT_EQ(p.block_written(32768), ActivePiece::Written::more);
  EXPECT_EQ(p.drop_source("10.0.0.9"), 2u);
  EXPECT_EQ(p.block_written(16384), ActivePiece::Written::discarded);
  EXPECT_FALSE(p.has_block(0));
  EXPECT_TRUE(p.has_block(32768));
  // Both come back for others to fetch, and the piece completes only with them.
  auto a = p.request_block(1);
  auto b = p.request_block(1);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->begin, 0u);
  EXPECT_EQ(b->begin, 16384u);
  ASSERT_EQ(p.begin_block(0, 16384, "10.0.0.1"), ActivePiece::Arrival::write);
  EXPECT_EQ(p.block_written(0), ActivePiece::Written::more);
  ASSERT_EQ(p.begin_block(16384, 16384, "10.0.0.1"), ActivePiece::Arrival::write);
  EXPECT_EQ(p.block_written(16384), ActivePiece::Written::complete);
}

TEST(ActivePiece, ASingleSourcePieceServesOnlyItsOwnerAndStartsOverWhenItLeaves) {
  std::vector<std::uint8_t> buf(2 * 16384);
  ActivePiece p(PieceIndex(0), 2 * 16384, buf.data(), /*single_source=*/true);
  EXPECT_EQ(p.adopt(1), ActivePiece::Access::adopted);
  EXPECT_EQ(p.adopt(2), ActivePiece::Access::denied);
  EXPECT_EQ(p.adopt(1), ActivePiece::Access::owner);
  (void)p.request_block(1);
  ASSERT_EQ(p.begin_block(0, 16384, "10.0.0.1"), ActivePiece::Arrival::write);
  ASSERT_EQ(p.block_written(0), ActivePiece::Written::more);
  p.disown(2);  // not the owner: nothing happens
  EXPECT_TRUE(p.has_block(0));
  p.disown(1);
  EXPECT_FALSE(p.has_block(0));  // the next owner fetches the whole piece
  EXPECT_EQ(p.adopt(2), ActivePiece::Access::adopted);
  EXPECT_TRUE(p.sources().empty());
}

TEST(ActiveRegistry, FindWorkSkipsSingleSourcePiecesOfOthersAndLeavesNoStrayOwner) {
  std::vector<std::uint8_t> buf(16384);
  ActiveRegistry reg;
  auto piece = std::make_shared<ActivePiece>(PieceIndex(0), 16384, buf.data(), true);
  reg.add(piece);
  Bitfield has(1);
  has.set(PieceIndex(0));
  wire::BlockRef ref;
  std::vector<wire::BlockRef> exclude{piece->block_ref(0)};
  // Session 5 finds nothing it may request: it must not stay the owner.
  EXPECT_EQ(reg.find_work(has, 1, exclude, 5, ref), nullptr);
  EXPECT_EQ(reg.find_work(has, 1, {}, 6, ref), piece);
  EXPECT_EQ(piece->adopt(6), ActivePiece::Access::owner);
  piece->return_block(0);
  EXPECT_EQ(reg.find_work(has, 1, {}, 7, ref), nullptr);
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

TEST(RequestDepth, IsCapped) {
  RequestDepth d(16, 200);
  auto t = RequestDepth::Clock::now();
  for (int i = 0; i < 1000; ++i) d.on_block(16384, t);
  EXPECT_EQ(d.depth(), 200u);
}

}  // namespace
}  // namespace fluxo
