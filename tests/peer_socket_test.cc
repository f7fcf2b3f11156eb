// PeerSocket sends on loopback against a reader that never reads: a stop
// request ends a send within one send step, and a send that makes no
// progress fails at the stall bound; with a reader, gathered sends deliver
// every byte in order.
#include "net/peer_socket.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include "net/listener.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const bool kNoSigpipe = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

// A connected pair on `ip`: .first dialled .second.
std::pair<PeerSocket, PeerSocket> connected_pair(const std::string& ip) {
  auto l = Listener::open(ip, 0, false);
  EXPECT_TRUE(l) << l.status().message();
  auto out = PeerSocket::connect(PeerAddress{ip, l->port()}, 2s);
  EXPECT_TRUE(out) << out.status().message();
  for (int i = 0; i < 50; ++i) {
    auto in = l->accept(100ms);
    EXPECT_TRUE(in) << in.status().message();
    if (in && *in) return {std::move(*out), std::move(**in)};
  }
  ADD_FAILURE() << "no connection accepted";
  std::abort();
}

TEST(PeerSocket, StopEndsASendToAPeerThatDoesNotRead) {
  auto [sender, idle_reader] = connected_pair("127.7.6.1");
  std::atomic<bool> stop{false};
  sender.watch(&stop);
  std::vector<std::uint8_t> data(64u << 20, 0x42);
  Clock::time_point stopped_at;
  std::thread stopper([&] {
    std::this_thread::sleep_for(500ms);
    stopped_at = Clock::now();
    stop.store(true);
  });
  Status st = sender.send_all(data);
  auto ended = Clock::now();
  stopper.join();
  EXPECT_EQ(st.code(), ErrorCode::cancelled) << st.message();
  EXPECT_LT(std::chrono::duration<double>(ended - stopped_at).count(), 1.0);
}

TEST(PeerSocket, StopEndsAGatheredSend) {
  auto [sender, idle_reader] = connected_pair("127.7.6.2");
  std::atomic<bool> stop{false};
  sender.watch(&stop);
  std::vector<std::uint8_t> a(32u << 20, 1), b(32u << 20, 2);
  std::vector<iovec> parts{{a.data(), a.size()}, {b.data(), b.size()}};
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop.store(true);
  });
  auto start = Clock::now();
  Status st = sender.send_all(std::span<iovec>(parts));
  stopper.join();
  EXPECT_EQ(st.code(), ErrorCode::cancelled) << st.message();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 1.3);
}

TEST(PeerSocket, SendWithoutProgressFailsAtTheStallBound) {
  auto [sender, idle_reader] = connected_pair("127.7.6.3");
  sender.watch(nullptr, nullptr, 1s);
  std::vector<std::uint8_t> data(64u << 20, 0x42);
  auto start = Clock::now();
  Status st = sender.send_all(data);
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(st.code(), ErrorCode::network_error) << st.message();
  EXPECT_NE(st.message().find("no progress"), std::string::npos) << st.message();
  EXPECT_GE(took, 0.9);
  EXPECT_LT(took, 4.0);
}

TEST(PeerSocket, GatheredSendDeliversEveryByteToASlowReader) {
  auto [sender, reader] = connected_pair("127.7.6.4");
  std::atomic<bool> stop{false};
  sender.watch(&stop);
  std::vector<std::uint8_t> a(3u << 20), b(5u << 20 | 7);
  std::iota(a.begin(), a.end(), std::uint8_t{0});
  std::iota(b.begin(), b.end(), std::uint8_t{100});
  std::vector<std::uint8_t> got;
  std::thread read([&, &reader = reader] {
    std::vector<std::uint8_t> buf(64 << 10);
    while (got.size() < a.size() + b.size()) {
      auto n = reader.receive_some(buf, 200ms);
      if (!n) return;
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
      std::this_thread::sleep_for(1ms);  // slower than the sender: partial sends happen
    }
  });
  std::vector<iovec> parts{{a.data(), a.size()}, {b.data(), b.size()}};
  Status st = sender.send_all(std::span<iovec>(parts));
  read.join();
  ASSERT_TRUE(st) << st.message();
  std::vector<std::uint8_t> want(a);
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_TRUE(got == want);
}

}  // namespace
}  // namespace fluxo
