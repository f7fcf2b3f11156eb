// Listener::open on loopback: a port is never shared, within one process or
// between processes (POCO's bind sets SO_REUSEPORT unless told not to).
#include "net/listener.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fluxo
