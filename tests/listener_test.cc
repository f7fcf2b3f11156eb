// Listener::open on loopback: a port is never shared, within one process or
// between processes (POCO's bind sets SO_REUSEPORT unless told not to).
#include "net/listener.h"

#include <gtest/gtest.h>

#include <future>

namespace fluxo {
namespace {

TEST(Listener, TakenPortMovesToTheNextWhenAllowed) {
  auto first = Listener::open("127.7.5.1", 0, /*try_next=*/false);
  ASSERT_TRUE(first) << first.status().message();
  const std::uint16_t port = first->port();
  auto second = Listener::open("127.7.5.1", port, /*try_next=*/true);
  ASSERT_TRUE(second) << second.status().message();
  EXPECT_NE(second->port(), port);
}

TEST(Listener, TakenPortFailsWhenNotAllowedToMove) {
  auto first = Listener::open("127.7.5.2", 0, /*try_next=*/false);
  ASSERT_TRUE(first) << first.status().message();
  auto second = Listener::open("127.7.5.2", first->port(), /*try_next=*/false);
  ASSERT_FALSE(second) << "second listener on port " << second->port();
  EXPECT_EQ(second.status().code(), ErrorCode::network_error);
}

TEST(Listener, PortOnEveryAddressBlocksTheSamePortOnLoopback) {
  auto any = Listener::open("0.0.0.0", 0, /*try_next=*/false);
  ASSERT_TRUE(any) << any.status().message();
  auto one = Listener::open("127.7.5.3", any->port(), /*try_next=*/false);
  EXPECT_FALSE(one);
}

// A session that ends does not wait out the accept loop's poll: interrupt()
// from another thread ends a long wait with an error (not "nothing came"),
// and every later accept fails at once.
TEST(Listener, InterruptEndsAWaitingAccept) {
  auto l = Listener::open("127.7.5.4", 0, /*try_next=*/false);
  ASSERT_TRUE(l) << l.status().message();
  std::promise<void> waiting;
  auto accepted = std::async(std::launch::async, [&] {
    waiting.set_value();
    return l->accept(std::chrono::minutes(10));
  });
  waiting.get_future().wait();
  // Whether accept() is already in poll(2) or about to be, it must see the
  // shutdown: a missed interrupt would wait the full ten minutes.
  l->interrupt();
  auto r = accepted.get();
  EXPECT_FALSE(r) << "accept returned without an error";
  EXPECT_FALSE(l->accept(std::chrono::minutes(10))) << "a later accept waited";
}

}  // namespace
}  // namespace fluxo
