#include <gtest/gtest.h>

#include "pipeline/swarm_state.h"

namespace fluxo {
namespace {

wire::PeerId id_of(char c) {
  wire::PeerId id{};
  id.fill(static_cast<std::uint8_t>(c));
  return id;
}

auto flag() { return std::make_shared<std::atomic<bool>>(false); }

TEST(PeerBook, ASecondConnectionTheSameWayIsRefused) {
  PeerBook book;
  auto a = flag();
  EXPECT_TRUE(book.claim_peer_id(id_of('t'), id_of('o'), false, 1, a));
  EXPECT_FALSE(book.claim_peer_id(id_of('t'), id_of('o'), false, 2, flag()));
  EXPECT_FALSE(a->load());
  book.release_peer_id(id_of('t'), 2);  // not the owner: no effect
  EXPECT_FALSE(book.claim_peer_id(id_of('t'), id_of('o'), false, 3, flag()));
  book.release_peer_id(id_of('t'), 1);
  EXPECT_TRUE(book.claim_peer_id(id_of('t'), id_of('o'), false, 4, flag()));
}

TEST(PeerBook, CrossedConnectionsKeepTheOneTheLowerIdStarted) {
  // We are 'a' (lower): our outgoing connection must survive, whichever
  // handshake finishes first.
  {
    PeerBook book;
    auto out = flag();
    EXPECT_TRUE(book.claim_peer_id(id_of('z'), id_of('a'), true, 1, out));
    EXPECT_FALSE(book.claim_peer_id(id_of('z'), id_of('a'), false, 2, flag()));
    EXPECT_FALSE(out->load());
  }
  {
    PeerBook book;
    auto in = flag();
    EXPECT_TRUE(book.claim_peer_id(id_of('z'), id_of('a'), false, 1, in));
    EXPECT_TRUE(book.claim_peer_id(id_of('z'), id_of('a'), true, 2, flag()));
    EXPECT_TRUE(in->load());  // the incoming one is told to go
    book.release_peer_id(id_of('z'), 1);  // its release does not free the new owner's claim
    EXPECT_FALSE(book.claim_peer_id(id_of('z'), id_of('a'), true, 3, flag()));
  }
  // We are 'z' (higher): the peer's connection to us survives.
  {
    PeerBook book;
    auto out = flag();
    EXPECT_TRUE(book.claim_peer_id(id_of('a'), id_of('z'), true, 1, out));
    EXPECT_TRUE(book.claim_peer_id(id_of('a'), id_of('z'), false, 2, flag()));
    EXPECT_TRUE(out->load());
  }
}

}  // namespace
}  // namespace fluxo
