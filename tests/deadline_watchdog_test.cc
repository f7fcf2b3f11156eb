// DeadlineWatchdog on a socket pair: a blocked read ends at the deadline or
// soon after a stop request, and a watch released in time leaves the socket
// alone.
#include "net/deadline_watchdog.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Pair {
  int fd[2] = {-1, -1};
  Pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0); }
  ~Pair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
};

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

TEST(DeadlineWatchdog, BlockedReadEndsAtTheDeadline) {
  Pair p;
  auto start = Clock::now();
  auto w = DeadlineWatchdog::instance().watch(p.fd[0], start + 300ms, nullptr);
  char c;
  EXPECT_EQ(::read(p.fd[0], &c, 1), 0);  // shut down: end of stream
  EXPECT_GE(since(start), 0.29);
  EXPECT_LT(since(start), 2.0);
  EXPECT_EQ(w.fired(), DeadlineWatchdog::Fired::deadline);
}

TEST(DeadlineWatchdog, BlockedReadEndsSoonAfterStop) {
  Pair p;
  std::atomic<bool> stop{false};
  auto w = DeadlineWatchdog::instance().watch(p.fd[0], Clock::now() + 60s, &stop);
  Clock::time_point stopped_at;
  std::thread t([&] {
    std::this_thread::sleep_for(200ms);
    stopped_at = Clock::now();
    stop.store(true);
  });
  char c;
  EXPECT_EQ(::read(p.fd[0], &c, 1), 0);
  auto ended = Clock::now();
  t.join();
  EXPECT_LT(std::chrono::duration<double>(ended - stopped_at).count(), 0.5);
  EXPECT_EQ(w.fired(), DeadlineWatchdog::Fired::stop);
}

TEST(DeadlineWatchdog, ReleasedWatchNeverFires) {
  Pair p;
  { auto w = DeadlineWatchdog::instance().watch(p.fd[0], Clock::now() + 100ms, nullptr); }
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(::write(p.fd[1], "x", 1), 1);
  char c = 0;
  EXPECT_EQ(::read(p.fd[0], &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

}  // namespace
}  // namespace fluxo
