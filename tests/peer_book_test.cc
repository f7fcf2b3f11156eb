#include <gtest/gtest.h>

#include "pipeline/peer_book.h"

namespace fluxo {
namespace {

wire::PeerId id_of(char c) {
  wire::PeerId id{};
  id.fill(static_cast<std::uint8_t>(c));
  return id;
}

auto flag() { return std::make_shared<std::atomic<bool>>(false); }
const std::string kIp = "10.0.0.1";

TEST(PeerBook, ASecondConnectionTheSameWayIsRefused) {
  PeerBook book;
  auto a = flag();
  EXPECT_TRUE(book.claim_peer_id(kIp, id_of('t'), id_of('o'), false, 1, a));
  EXPECT_FALSE(book.claim_peer_id(kIp, id_of('t'), id_of('o'), false, 2, flag()));
  EXPECT_FALSE(a->load());
  book.release_peer_id(kIp, id_of('t'), 2);  // not the owner: no effect
  EXPECT_FALSE(book.claim_peer_id(kIp, id_of('t'), id_of('o'), false, 3, flag()));
  book.release_peer_id(kIp, id_of('t'), 1);
  EXPECT_TRUE(book.claim_peer_id(kIp, id_of('t'), id_of('o'), false, 4, flag()));
}

TEST(PeerBook, CrossedConnectionsKeepTheOneTheLowerIdStarted) {
  // We are 'a' (lower): our outgoing connection must survive, whichever
  // handshake finishes first.
  {
    PeerBook book;
    auto out = flag();
    EXPECT_TRUE(book.claim_peer_id(kIp, id_of('z'), id_of('a'), true, 1, out));
    EXPECT_FALSE(book.claim_peer_id(kIp, id_of('z'), id_of('a'), false, 2, flag()));
    EXPECT_FALSE(out->load());
  }
  {
    PeerBook book;
    auto in = flag();
    EXPECT_TRUE(book.claim_peer_id(kIp, id_of('z'), id_of('a'), false, 1, in));
    EXPECT_TRUE(book.claim_peer_id(kIp, id_of('z'), id_of('a'), true, 2, flag()));
    EXPECT_TRUE(in->load());  // the incoming one is told to go
    book.release_peer_id(kIp, id_of('z'), 1);  // its release does not free the new owner's claim
    EXPECT_FALSE(book.claim_peer_id(kIp, id_of('z'), id_of('a'), true, 3, flag()));
  }
  // We are 'z' (higher): the peer's connection to us survives.
  {
    PeerBook book;
    auto out = flag();
    EXPECT_TRUE(book.claim_peer_id(kIp, id_of('a'), id_of('z'), true, 1, out));
    EXPECT_TRUE(book.claim_peer_id(kIp, id_of('a'), id_of('z'), false, 2, flag()));
    EXPECT_TRUE(out->load());
  }
}

TEST(PeerBook, ABorrowedPeerIdFromAnotherAddressDoesNotPushTheRealPeerOut) {
  // We are 'z'; the real peer 'a' (lower) is connected, we dialled it. A
  // peer elsewhere connecting to us with the same id would, as a crossed
  // connection, win over ours: keyed by address too, it is a stranger.
  PeerBook book;
  auto real = flag();
  EXPECT_TRUE(book.claim_peer_id("10.0.0.1", id_of('a'), id_of('z'), true, 1, real));
  EXPECT_TRUE(book.claim_peer_id("10.0.0.66", id_of('a'), id_of('z'), false, 2, flag()));
  EXPECT_FALSE(real->load());
}

TEST(PeerBook, BansAreByAddressWhateverThePort) {
  PeerBook book;
  book.add({{"10.0.0.5", 6881}, {"10.0.0.5", 7000}, {"10.0.0.6", 6881}});
  EXPECT_TRUE(book.ban("10.0.0.5"));
  EXPECT_FALSE(book.ban("10.0.0.5"));
  EXPECT_TRUE(book.banned("10.0.0.5"));
  auto now = PeerBook::Clock::now();
  auto c = book.next_candidate(now);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "10.0.0.6");
  EXPECT_FALSE(book.next_candidate(now));
  EXPECT_EQ(book.banned_count(), 1u);
}

TEST(PeerBook, TheBookIsCappedAndGivenUpAddressesAreForgotten) {
  PeerBook book(/*max_records=*/3, /*max_bans=*/2);
  EXPECT_EQ(book.add({{"10.0.0.1", 1}, {"10.0.0.2", 1}, {"10.0.0.3", 1}, {"10.0.0.4", 1}}), 3u);
  EXPECT_EQ(book.known(), 3u);
  auto t = PeerBook::Clock::now();
  for (int attempt = 0; attempt < 3; ++attempt) {
    PeerAddress a;
    do {
      auto c = book.next_candidate(t);
      ASSERT_TRUE(c);
      a = *c;
      if (a.host != "10.0.0.1") book.disconnected(a, false, t);
    } while (a.host != "10.0.0.1");
    book.disconnected(a, /*failed=*/true, t);
    t += std::chrono::seconds(10);
  }
  EXPECT_EQ(book.known(), 2u);  // given up on after three failures
  EXPECT_EQ(book.add({{"10.0.0.4", 1}}), 1u);
  for (const char* ip : {"10.1.0.1", "10.1.0.2", "10.1.0.3"}) book.ban(ip);
  EXPECT_EQ(book.banned_count(), 2u);  // the oldest ban is lifted first
  EXPECT_FALSE(book.banned("10.1.0.1"));
}

TEST(PeerBook, OurOwnAddressIsNeverACandidateEvenWhenATrackerListsItLater) {
  PeerBook book;
  book.forget({"127.0.0.9", 6881});
  EXPECT_EQ(book.add({{"127.0.0.9", 6881}, {"127.0.0.9", 6882}}), 1u);
  auto now = PeerBook::Clock::now();
  auto c = book.next_candidate(now);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 6882);
  EXPECT_FALSE(book.next_candidate(now));
}

TEST(PeerBook, IpOfHostPort) {
  EXPECT_EQ(ip_of("1.2.3.4:6881"), "1.2.3.4");
  EXPECT_EQ(ip_of("[::1]:6881"), "::1");
  EXPECT_EQ(ip_of("1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(ip_of("fe80::1"), "fe80::1");
  EXPECT_EQ(ip_of("[::ffff:10.1.2.3]:6881"), "10.1.2.3");
}

}  // namespace
}  // namespace fluxo
