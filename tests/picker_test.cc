#include "pipeline/piece_picker.h"

#include <gtest/gtest.h>

#include <set>

#include "pipeline/active_piece.h"
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

TEST(PiecePicker, AvoidsThePeerWhoseDataFailedWhileOthersRemain) {
  AtomicBitfield have(2), claimed(2);
  PiecePicker picker(2, have, claimed, 0);
  Bitfield has = all_of(2);
  std::minstd_rand rng(4);
  ASSERT_TRUE(claimed.try_claim(PieceIndex(0)));
  picker.unclaim(PieceIndex(0), /*failed_by=*/7);
  EXPECT_EQ(picker.pick(has, rng, 7), PieceIndex(1));
  EXPECT_EQ(picker.pick(has, rng, 7), PieceIndex(0));  // nothing else left
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
  EXPECT_EQ(p.begin_block(0, 16384, 1), ActivePiece::Arrival::write);
  EXPECT_EQ(p.begin_block(0, 16384, 2), ActivePiece::Arrival::duplicate);
  EXPECT_EQ(p.begin_block(100, 16384, 2), ActivePiece::Arrival::invalid);
  EXPECT_EQ(p.begin_block(16384, 100, 2), ActivePiece::Arrival::invalid);
  EXPECT_FALSE(p.block_written());
  EXPECT_EQ(p.begin_block(16384, 16384, 2), ActivePiece::Arrival::write);
  EXPECT_TRUE(p.block_written());
  EXPECT_EQ(p.contributors(), (std::vector<std::uint32_t>{1, 2}));
}

TEST(ActivePiece, AnAbortedBlockCanBeFetchedAgain) {
  std::vector<std::uint8_t> buf(16384);
  ActivePiece p(PieceIndex(0), 16384, buf.data());
  (void)p.request_block(1);
  EXPECT_EQ(p.begin_block(0, 16384, 1), ActivePiece::Arrival::write);
  p.abort_block(0);
  EXPECT_TRUE(p.request_block(1));
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
