#include "core/metadata_assembler.h"

#include <gtest/gtest.h>

#include <string>

#include "core/metadata_message.h"
#include "core/sha1.h"

namespace fluxo {
namespace {

std::string info_of(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return s;
}

InfoHash hash_of(const std::string& info) {
  InfoHash h;
  h.bytes = sha1(info);
  return h;
}

std::span<const std::uint8_t> piece_of(const std::string& info, std::uint32_t piece) {
  const std::size_t at = piece * kMetadataPiece;
  const std::size_t n = std::min(kMetadataPiece, info.size() - at);
  return {reinterpret_cast<const std::uint8_t*>(info.data()) + at, n};
}

// Serves every piece `peer` is asked for from `info` (honest) until none is left.
Status serve_all(MetadataAssembler& a, MetadataAssembler::PeerId peer, const std::string& info,
                 std::int64_t total) {
  while (auto p = a.next_request(peer)) {
    if (Status s = a.deliver(peer, *p, total, piece_of(info, *p)); !s) return s;
  }
  return Status::ok();
}

TEST(MetadataAssembler, OnePeerSendsItAllAndTheHashChecks) {
  const std::string info = info_of(40'000);  // 3 pieces, the last 7,232 bytes
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(1, 40'000));
  ASSERT_TRUE(serve_all(a, 1, info, 40'000));
  ASSERT_TRUE(a.complete());
  EXPECT_EQ(a.info(), info);
}

TEST(MetadataAssembler, ASizeThatIsAMultipleOf16KiBEndsWithAWholePiece) {
  const std::string info = info_of(2 * kMetadataPiece);
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(1, static_cast<std::int64_t>(info.size())));
  auto p0 = a.next_request(1), p1 = a.next_request(1);
  ASSERT_TRUE(p0 && p1);
  EXPECT_FALSE(a.next_request(1));  // two pieces, no third
  ASSERT_TRUE(a.deliver(1, *p0, 32768, piece_of(info, *p0)));
  // The last piece is a whole 16 KiB; a short one is refused.
  EXPECT_FALSE(a.deliver(1, *p1, 32768, piece_of(info, *p1).first(100)));
}

TEST(MetadataAssembler, PiecesAreSharedAmongPeers) {
  const std::string info = info_of(100'000);  // 7 pieces
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(1, 100'000));
  ASSERT_TRUE(a.offer(2, 100'000));
  auto x = a.next_request(1);
  auto y = a.next_request(2);
  ASSERT_TRUE(x && y);
  EXPECT_NE(*x, *y);
  ASSERT_TRUE(a.deliver(2, *y, 100'000, piece_of(info, *y)));
  ASSERT_TRUE(a.deliver(1, *x, 100'000, piece_of(info, *x)));
  ASSERT_TRUE(serve_all(a, 1, info, 100'000));
  EXPECT_TRUE(a.complete());
  EXPECT_EQ(a.info(), info);
}

TEST(MetadataAssembler, OversizedOrEmptyOffersAreRefusedBeforeAnythingIsAllocated) {
  MetadataAssembler a(InfoHash{}, 64 << 20);
  EXPECT_FALSE(a.offer(1, (64 << 20) + 1));
  EXPECT_FALSE(a.offer(1, 0));
  EXPECT_FALSE(a.offer(1, -5));
  EXPECT_FALSE(a.next_request(1));
}

TEST(MetadataAssembler, PiecesOfTheWrongLengthOrSizeAreRefusedAndUnaskedOnesIgnored) {
  const std::string info = info_of(40'000);
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(1, 40'000));
  ASSERT_TRUE(a.offer(2, 40'000));
  auto p = a.next_request(1);
  ASSERT_TRUE(p);
  EXPECT_TRUE(a.deliver(2, *p, 40'000, piece_of(info, *p)));  // asked of 1, not 2: ignored
  EXPECT_TRUE(a.deliver(1, 99, 40'000, piece_of(info, 0)));   // out of range: ignored
  EXPECT_FALSE(a.deliver(1, *p, 50'000, piece_of(info, *p)));  // another total_size
  EXPECT_FALSE(a.deliver(1, *p, 40'000, piece_of(info, *p).first(10)));
  EXPECT_TRUE(a.deliver(1, *p, 40'000, piece_of(info, *p)));
}

TEST(MetadataAssembler, ALoneSenderOfDataThatFailsTheHashIsCondemned) {
  const std::string info = info_of(40'000);
  std::string lie = info;
  lie[20'000] ^= 1;
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(1, 40'000));
  Status s = serve_all(a, 1, lie, 40'000);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("info-hash"), std::string::npos) << s.message();
  EXPECT_TRUE(a.condemned(1));
  EXPECT_FALSE(a.complete());
  EXPECT_FALSE(a.offer(1, 40'000));  // not trusted again
  // An honest peer then gets it whole.
  ASSERT_TRUE(a.offer(2, 40'000));
  ASSERT_TRUE(serve_all(a, 2, info, 40'000));
  EXPECT_TRUE(a.complete());
  EXPECT_EQ(a.failures(), 1u);
}

TEST(MetadataAssembler, ALiarAmongHonestPeersGetsNoHonestPeerCondemned) {
  const std::string info = info_of(100'000);
  std::string lie = info;
  for (auto& c : lie) c = static_cast<char>(c ^ 0x20);
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(1, 100'000));  // honest
  ASSERT_TRUE(a.offer(2, 100'000));  // liar
  // Pieces alternate between them, so the whole fails with two senders.
  bool more = true;
  while (more && !a.complete() && a.failures() == 0) {
    more = false;
    if (auto p = a.next_request(1)) {
      ASSERT_TRUE(a.deliver(1, *p, 100'000, piece_of(info, *p)));
      more = true;
    }
    if (a.failures() > 0) break;
    if (auto p = a.next_request(2)) {
      (void)a.deliver(2, *p, 100'000, piece_of(lie, *p));
      more = true;
    }
  }
  ASSERT_EQ(a.failures(), 1u);
  EXPECT_FALSE(a.condemned(1));
  EXPECT_FALSE(a.condemned(2));  // who lied cannot be told yet
  // One peer at a time now: the liar asks first and gets the solo turn.
  auto p = a.next_request(2);
  ASSERT_TRUE(p);
  EXPECT_FALSE(a.next_request(1));  // not its turn
  ASSERT_TRUE(a.deliver(2, *p, 100'000, piece_of(lie, *p)));
  EXPECT_FALSE(serve_all(a, 2, lie, 100'000));
  EXPECT_TRUE(a.condemned(2));
  EXPECT_FALSE(a.condemned(1));
  ASSERT_TRUE(serve_all(a, 1, info, 100'000));
  EXPECT_TRUE(a.complete());
  EXPECT_EQ(a.info(), info);
}

TEST(MetadataAssembler, ALiarClaimingAnotherSizeHoldsNothingUpOnceItFails) {
  const std::string info = info_of(40'000);
  const std::string lie = info_of(20'000);
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(9, 20'000));  // the liar came first
  ASSERT_TRUE(a.offer(1, 40'000));
  EXPECT_FALSE(a.next_request(1));  // the liar's size is being fetched
  EXPECT_FALSE(serve_all(a, 9, lie, 20'000));
  EXPECT_TRUE(a.condemned(9));
  ASSERT_TRUE(serve_all(a, 1, info, 40'000));
  EXPECT_TRUE(a.complete());
}

TEST(MetadataAssembler, ALiarOfferingMoreThanTheRealSizeHoldsNobodyUp) {
  const std::string info = info_of(40'000);
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(9, 64 << 20));  // first, and it would trickle 4096 pieces
  ASSERT_TRUE(a.next_request(9));
  ASSERT_TRUE(a.offer(1, 40'000));
  // The smaller size goes first: the honest peer fetches it all at once.
  ASSERT_TRUE(serve_all(a, 1, info, 40'000));
  EXPECT_TRUE(a.complete());
  EXPECT_EQ(a.info(), info);
}

TEST(MetadataAssembler, ASilentPeerHoldsNothingUp) {
  const std::string info = info_of(40'000);
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(5, 40'000));  // asks, never answers
  while (a.next_request(5)) {
  }
  ASSERT_TRUE(a.offer(1, 40'000));
  // Every piece is asked of 5: each is asked of 1 as well.
  ASSERT_TRUE(serve_all(a, 1, info, 40'000));
  EXPECT_TRUE(a.complete());
  EXPECT_EQ(a.info(), info);
}

TEST(MetadataAssembler, APieceAskedOfTwoIsTakenFromTheFirstAndTheLateAnswerIgnored) {
  const std::string info = info_of(10'000);
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(1, 10'000));
  ASSERT_TRUE(a.offer(2, 10'000));
  ASSERT_EQ(a.next_request(1), 0u);
  ASSERT_EQ(a.next_request(2), 0u);  // the only piece, asked of both
  EXPECT_FALSE(a.next_request(3));   // no third asker (it offered nothing anyway)
  ASSERT_TRUE(a.deliver(2, 0, 10'000, piece_of(info, 0)));
  EXPECT_TRUE(a.complete());
  EXPECT_TRUE(a.deliver(1, 0, 10'000, piece_of(info, 0)));
  EXPECT_EQ(a.info(), info);
}

TEST(MetadataAssembler, AGonePeersPiecesGoToOthers) {
  const std::string info = info_of(40'000);
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(5, 40'000));
  ASSERT_TRUE(a.offer(6, 40'000));
  while (a.next_request(5)) {
  }
  while (a.next_request(6)) {
  }
  ASSERT_TRUE(a.offer(1, 40'000));
  EXPECT_FALSE(a.next_request(1));  // each piece asked of two already
  a.gone(5);
  a.gone(6);
  ASSERT_TRUE(serve_all(a, 1, info, 40'000));
  EXPECT_TRUE(a.complete());
}

TEST(MetadataAssembler, ARejectedPieceIsAskedOfAnotherPeer) {
  const std::string info = info_of(10'000);
  MetadataAssembler a(hash_of(info), 64 << 20);
  ASSERT_TRUE(a.offer(1, 10'000));
  ASSERT_TRUE(a.offer(2, 10'000));
  ASSERT_TRUE(a.offer(3, 10'000));
  ASSERT_EQ(a.next_request(1), 0u);
  ASSERT_EQ(a.next_request(2), 0u);
  EXPECT_FALSE(a.next_request(3));  // asked of two already
  a.rejected(1, 0);
  EXPECT_EQ(a.next_request(3), 0u);
}

TEST(MetadataAssembler, ASoloPeerThatSendsNothingLosesItsTurn) {
  const std::string info = info_of(40'000);
  std::string lie = info;
  lie[0] ^= 1;
  auto now = MetadataAssembler::Clock::now();
  MetadataAssembler a(hash_of(info), 64 << 20, std::chrono::seconds(5), [&] { return now; });
  ASSERT_TRUE(a.offer(1, 40'000));  // honest
  ASSERT_TRUE(a.offer(2, 40'000));  // liar: its piece 0 spoils the whole
  ASSERT_EQ(a.next_request(2), 0u);
  ASSERT_EQ(a.next_request(1), 1u);
  ASSERT_EQ(a.next_request(1), 2u);
  ASSERT_TRUE(a.deliver(2, 0, 40'000, piece_of(lie, 0)));
  ASSERT_TRUE(a.deliver(1, 1, 40'000, piece_of(info, 1)));
  ASSERT_TRUE(a.deliver(1, 2, 40'000, piece_of(info, 2)));
  ASSERT_EQ(a.failures(), 1u);
  ASSERT_TRUE(a.offer(3, 40'000));  // silent: takes the solo turn, sends nothing
  ASSERT_TRUE(a.next_request(3));
  EXPECT_FALSE(a.next_request(1));
  now += std::chrono::seconds(6);
  ASSERT_TRUE(serve_all(a, 1, info, 40'000));  // the turn passed to 1
  EXPECT_TRUE(a.complete());
  EXPECT_FALSE(a.condemned(3));
}

}  // namespace
}  // namespace fluxo
