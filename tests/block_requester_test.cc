// The request policy of one connection, with a fake clock: depth, snubbing,
// rejects, withdrawn requests and end-game, without a socket.
#include "pipeline/block_requester.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/support/tiny_torrent.h"

namespace fluxo {
namespace {

using Clock = BlockRequester::Clock;
using namespace std::chrono_literals;
using wire::BlockRef;
using wire::MsgId;

// The requests (or cancels) a writer holds, in order.
std::vector<BlockRef> sent(MessageWriter& w, MsgId id) {
  std::vector<BlockRef> out;
  const auto& b = w.buffer();
  for (std::size_t at = 0; at + 4 <= b.size();) {
    std::uint32_t len = wire::read_u32(b.data() + at);
    if (len == 13 && static_cast<MsgId>(b[at + 4]) == id) {
      out.push_back({PieceIndex(wire::read_u32(b.data() + at + 5)), wire::read_u32(b.data() + at + 9),
                     wire::read_u32(b.data() + at + 13)});
    }
    at += 4 + len;
  }
  w.buffer().clear();
  return out;
}

struct Peer {
  Peer(SwarmState& s, std::uint32_t id, BlockRequester::Config c, Clock::time_point now)
      : link(id, "10.0.0." + std::to_string(id), false), requests(s, id, link, c, now), has(s.meta.piece_count()) {
    has.set_all();
    s.picker.add_peer(has);
  }
  PeerLink link;
  BlockRequester requests;
  Bitfield has;
  MessageWriter out;
};

class BlockRequesterTest : public ::testing::Test {
 protected:
  test::TinyTorrent t{8, 4 * 16384};
  MemoryBudget memory{64u << 20};
  SwarmState s{t.meta, memory, ConnectionLimits{}};
  Clock::time_point t0 = Clock::now();
  BlockRequester::Config config{.request_timeout = 20s, .initial_depth = 4, .max_requests = 100};
};

TEST_F(BlockRequesterTest, FillsUpToTheDepthWithDistinctBlocks) {
  Peer p(s, 1, config, t0);
  p.requests.fill(p.has, /*choked=*/false, /*fast=*/true, p.out);
  auto reqs = sent(p.out, MsgId::request);
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(p.requests.outstanding(), 4u);
  for (std::size_t i = 1; i < reqs.size(); ++i) EXPECT_FALSE(reqs[i] == reqs[0]);
  // Full: nothing more until something comes back.
  p.requests.fill(p.has, false, true, p.out);
  EXPECT_TRUE(sent(p.out, MsgId::request).empty());
}

TEST_F(BlockRequesterTest, ChokedItAsksOnlyForAllowedFastPieces) {
  Peer p(s, 1, config, t0);
  p.requests.fill(p.has, /*choked=*/true, /*fast=*/true, p.out);
  EXPECT_TRUE(sent(p.out, MsgId::request).empty());
  p.requests.on_allowed_fast(PieceIndex(5));
  p.requests.fill(p.has, true, true, p.out);
  auto reqs = sent(p.out, MsgId::request);
  ASSERT_FALSE(reqs.empty());
  for (const auto& r : reqs) EXPECT_EQ(r.piece, PieceIndex(5));
}

TEST_F(BlockRequesterTest, ASilentPeerIsSnubbedThenDropped) {
  Peer p(s, 1, config, t0);
  p.requests.fill(p.has, false, true, p.out);
  ASSERT_EQ(p.requests.outstanding(), 4u);
  EXPECT_TRUE(p.requests.check_timeouts(false, t0 + 19s, "peer").is_ok());
  EXPECT_FALSE(p.requests.snubbed());
  // No block for the request timeout: snubbed, its requests go back.
  EXPECT_TRUE(p.requests.check_timeouts(false, t0 + 21s, "peer").is_ok());
  EXPECT_TRUE(p.requests.snubbed());
  EXPECT_TRUE(p.link.snubbed.load());
  EXPECT_EQ(p.requests.outstanding(), 0u);
  EXPECT_EQ(s.counters.snubbed.load(), 1u);
  // It keeps one request to prove itself with.
  sent(p.out, MsgId::request);
  p.requests.fill(p.has, false, true, p.out);
  EXPECT_EQ(sent(p.out, MsgId::request).size(), 1u);
  // Twice the timeout in all: dropped.
  Status st = p.requests.check_timeouts(false, t0 + 42s, "peer");
  EXPECT_EQ(st.code(), ErrorCode::network_error);
  EXPECT_NE(st.message().find("snubbed"), std::string::npos);
}

TEST_F(BlockRequesterTest, ABlockEndsTheSnub) {
  Peer p(s, 1, config, t0);
  p.requests.fill(p.has, false, true, p.out);
  (void)p.requests.check_timeouts(false, t0 + 21s, "peer");
  ASSERT_TRUE(p.requests.snubbed());
  p.requests.on_block(16384, t0 + 22s);
  EXPECT_FALSE(p.requests.snubbed());
  EXPECT_FALSE(p.link.snubbed.load());
  EXPECT_TRUE(p.requests.check_timeouts(false, t0 + 30s, "peer").is_ok());
}

TEST_F(BlockRequesterTest, ChokedTooLongItsRequestsGoBackWithoutASnub) {
  Peer p(s, 1, config, t0);
  p.requests.fill(p.has, false, true, p.out);
  p.requests.on_choke(/*fast=*/true);  // fast: rejects will follow, requests stay for now
  EXPECT_EQ(p.requests.outstanding(), 4u);
  EXPECT_TRUE(p.requests.check_timeouts(true, t0 + 21s, "peer").is_ok());
  EXPECT_EQ(p.requests.outstanding(), 0u);
  EXPECT_FALSE(p.requests.snubbed());
}

TEST_F(BlockRequesterTest, ARejectedBlockIsNeverAskedOfThatPeerAgain) {
  config.initial_depth = 1;
  Peer p(s, 1, config, t0);
  p.requests.fill(p.has, false, true, p.out);
  auto first = sent(p.out, MsgId::request);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(p.requests.on_reject(first[0], "peer").is_ok());
  EXPECT_EQ(p.requests.outstanding(), 0u);
  for (int i = 0; i < 40; ++i) {
    p.requests.fill(p.has, false, true, p.out);
    for (const auto& r : sent(p.out, MsgId::request)) {
      EXPECT_FALSE(r == first[0]) << "asked again after a reject";
      ASSERT_TRUE(p.requests.on_reject(r, "peer").is_ok());
    }
  }
  // Another peer gets it.
  Peer q(s, 2, config, t0);
  bool asked = false;
  for (int i = 0; i < 64 && !asked; ++i) {
    q.requests.fill(q.has, false, true, q.out);
    for (const auto& r : sent(q.out, MsgId::request)) {
      asked = asked || r == first[0];
      (void)q.requests.on_reject(r, "q");
    }
  }
  EXPECT_TRUE(asked);
}

TEST_F(BlockRequesterTest, APeerThatRejectsEverythingIsDroppedAfterABoundedNumberOfAsks) {
  test::TinyTorrent many(100, 4 * 16384);  // 400 blocks, more than the limit
  SwarmState s2(many.meta, memory, ConnectionLimits{});
  config.initial_depth = 8;
  Peer p(s2, 1, config, t0);
  Status st;
  std::size_t asked = 0;
  for (int i = 0; i < 1000 && st.is_ok(); ++i) {
    p.requests.fill(p.has, false, true, p.out);
    auto reqs = sent(p.out, MsgId::request);
    ASSERT_FALSE(reqs.empty());
    for (const auto& r : reqs) {
      ++asked;
      st = p.requests.on_reject(r, "peer");
      if (!st) break;
    }
  }
  EXPECT_EQ(st.code(), ErrorCode::protocol_error);
  EXPECT_NE(st.message().find("rejects every request"), std::string::npos);
  EXPECT_EQ(asked, BlockRequester::kMaxRejectsInRow + 1);
}

TEST_F(BlockRequesterTest, RejectsThatAnswerAChokeDoNotCountAgainstThePeer) {
  test::TinyTorrent many(100, 4 * 16384);
  SwarmState s2(many.meta, memory, ConnectionLimits{});
  config.initial_depth = 8;
  Peer p(s2, 1, config, t0);
  // 248 rejects in a row, 8 short of the limit.
  std::size_t rejected = 0;
  while (rejected < 248) {
    p.requests.fill(p.has, false, true, p.out);
    for (const auto& r : sent(p.out, MsgId::request)) {
      ASSERT_TRUE(p.requests.on_reject(r, "peer").is_ok());
      ++rejected;
    }
  }
  // A choke with requests out (fast extension): the rejects that answer it
  // are the protocol at work.
  p.requests.fill(p.has, false, true, p.out);
  auto reqs = sent(p.out, MsgId::request);
  ASSERT_GE(reqs.size(), 4u);  // the depth shrank with every reject, to its floor
  p.requests.on_choke(/*fast=*/true);
  for (const auto& r : reqs) ASSERT_TRUE(p.requests.on_reject(r, "peer").is_ok());
  EXPECT_EQ(p.requests.outstanding(), 0u);
  // Beyond them, the count goes on from 248.
  const BlockRef stray{PieceIndex(99), 0, 16384};
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(p.requests.on_reject(stray, "peer").is_ok()) << i;
  EXPECT_EQ(p.requests.on_reject(stray, "peer").code(), ErrorCode::protocol_error);
}

TEST_F(BlockRequesterTest, AWithdrawnRequestsBlockIsWasteButUnaskedBlocksAreAViolation) {
  Peer p(s, 1, config, t0);
  p.requests.fill(p.has, false, /*fast=*/false, p.out);
  auto reqs = sent(p.out, MsgId::request);
  ASSERT_EQ(reqs.size(), 4u);
  p.requests.on_choke(/*fast=*/false);  // without the fast extension: every request is void
  EXPECT_EQ(p.requests.outstanding(), 0u);
  // The blocks may still be on the wire: not wanted, not a violation.
  for (const auto& r : reqs) {
    auto got = p.requests.on_block_header(r, "peer");
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, nullptr);
  }
  // Blocks nobody asked for: tolerated up to a bound, then the peer goes.
  Status st;
  for (std::uint32_t i = 0; i <= BlockRequester::kMaxUnrequestedBlocks && st.is_ok(); ++i) {
    auto got = p.requests.on_block_header(BlockRef{PieceIndex(7), 0, 16384}, "peer");
    if (!got) st = got.status();
  }
  EXPECT_EQ(st.code(), ErrorCode::protocol_error);
}

TEST_F(BlockRequesterTest, EndGameDuplicatesOnlyWhenNearlyIdleAndCancelsWhatArrived) {
  test::TinyTorrent one(1, 4 * 16384);
  SwarmState s1(one.meta, memory, ConnectionLimits{});
  config.initial_depth = 16;
  Peer a(s1, 1, config, t0), b(s1, 2, config, t0);
  a.requests.fill(a.has, false, true, a.out);
  auto asked_a = sent(a.out, MsgId::request);
  ASSERT_EQ(asked_a.size(), 4u);  // the whole piece
  // Nothing left to claim: b, idle, duplicates a's blocks, only while it
  // has fewer than kEndgameIdle out, and the last ones a asked for first
  // (they would come last from a).
  static_assert(BlockRequester::kEndgameIdle == 2);
  b.requests.fill(b.has, false, true, b.out);
  auto asked_b = sent(b.out, MsgId::request);
  EXPECT_TRUE(b.requests.endgame());
  ASSERT_EQ(asked_b.size(), 2u);
  EXPECT_TRUE(asked_b[0] == asked_a[3]);
  EXPECT_TRUE(asked_b[1] == asked_a[2]);
  // a's last block arrives first: b cancels its copy of the request.
  auto piece = a.requests.on_block_header(asked_a[3], "a");
  ASSERT_TRUE(piece && *piece);
  auto claim = (*piece)->begin_block(asked_a[3].begin, asked_a[3].length, a.link.ip);
  ASSERT_EQ(claim.arrival, ActivePiece::Arrival::write);
  std::memcpy((*piece)->data() + asked_a[3].begin, one.data.data() + asked_a[3].begin, asked_a[3].length);
  (void)(*piece)->block_written(asked_a[3].begin, claim.token);
  b.requests.cancel_arrived(b.out);
  auto cancels = sent(b.out, MsgId::cancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_TRUE(cancels[0] == asked_a[3]);
  EXPECT_EQ(b.requests.outstanding(), 1u);
  // Below kEndgameIdle again: one more copy, the next newest.
  b.requests.fill(b.has, false, true, b.out);
  auto more = sent(b.out, MsgId::request);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_TRUE(more[0] == asked_a[1]);
  // Busy (2 out): nothing more, though a's first block has one request only.
  b.requests.fill(b.has, false, true, b.out);
  EXPECT_TRUE(sent(b.out, MsgId::request).empty());
}

}  // namespace
}  // namespace fluxo
