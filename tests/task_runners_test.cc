// TaskRunners: blocking tasks on an arena through long-lived runners. Every
// task runs; tasks that block on each other all run at once (up to the
// limit); runners are reused rather than one enqueued per task; an idle
// runner leaves after its linger; the destructor returns with runners idle.
#include "session/task_runners.h"

#include <oneapi/tbb/global_control.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

namespace fluxo {
namespace {

using namespace std::chrono_literals;

// Waits (without a fixed sleep) until `pred` holds, or fails after 10 s.
template <class P>
bool eventually(P pred) {
  for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

// oneTBB's workers default to the cores less one: blocking tasks need the
// process's thread budget raised, as the Session's ThreadBudget does.
struct Budget {
  oneapi::tbb::global_control control{oneapi::tbb::global_control::max_allowed_parallelism, 64};
};

TEST(TaskRunners, TasksThatWaitForEachOtherAllRunAtOnce) {
  Budget budget;
  TaskRunners runners(8);
  std::latch all(6);
  std::atomic<int> done{0};
  for (int i = 0; i < 6; ++i) {
    runners.run([&] {
      all.arrive_and_wait();  // returns only when all six are running
      done.fetch_add(1);
    });
  }
  EXPECT_TRUE(eventually([&] { return done.load() == 6; }));
  EXPECT_EQ(runners.runners(), 6u);
}

// More runners than one arena has slots: they spread over new arenas, and
// every one runs.
TEST(TaskRunners, RunnersBeyondOneArenaGoToNewArenas) {
  Budget budget;
  TaskRunners runners(20, 4);
  std::latch all(20);
  std::atomic<int> done{0};
  for (int i = 0; i < 20; ++i) {
    runners.run([&] {
      all.arrive_and_wait();
      done.fetch_add(1);
    });
  }
  EXPECT_TRUE(eventually([&] { return done.load() == 20; }));
  EXPECT_EQ(runners.runners(), 20u);
  EXPECT_EQ(runners.arenas(), 5u);
}

std::size_t process_threads() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Room for 200 runners, one task: oneTBB launches threads for the slots of
// the arenas in use, not for all 200 (it did, and kept them).
TEST(TaskRunners, ThreadsFollowTheRunnersNotTheLimit) {
  oneapi::tbb::global_control control{oneapi::tbb::global_control::max_allowed_parallelism, 512};
  const std::size_t before = process_threads();
  TaskRunners runners(200, 8);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> started{false};
  runners.run([&] {
    started.store(true);
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
  });
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  // A negative needs a window: oneTBB launches the threads for an arena's
  // demand within milliseconds of the enqueue, so half a second shows it.
  bool many = false;
  for (auto end = std::chrono::steady_clock::now() + 500ms; !many && std::chrono::steady_clock::now() < end;) {
    many = process_threads() > before + 16;
    std::this_thread::sleep_for(5ms);
  }
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_FALSE(many) << process_threads() - before << " threads for one task";
  EXPECT_EQ(runners.arenas(), 1u);
}

TEST(TaskRunners, ATaskBeyondTheLimitWaitsForAFreeRunner) {
  Budget budget;
  TaskRunners runners(2);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> started{0}, done{0};
  for (int i = 0; i < 3; ++i) {
    runners.run([&] {
      started.fetch_add(1);
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
      done.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
  EXPECT_EQ(runners.runners(), 2u);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_TRUE(eventually([&] { return done.load() == 3; }));
  EXPECT_EQ(started.load(), 3);
  EXPECT_LE(runners.runners(), 2u);
}

TEST(TaskRunners, IdleRunnersTakeTheNextTasks) {
  Budget budget;
  TaskRunners runners(16, 8, 60s);
  std::mutex mu;
  std::set<std::thread::id> threads;
  for (int i = 0; i < 200; ++i) {
    std::atomic<bool> ran{false};
    runners.run([&] {
      {
        std::lock_guard lock(mu);
        threads.insert(std::this_thread::get_id());
      }
      ran.store(true);
    });
    // One at a time: a runner is idle (or about to be) for every next task.
    ASSERT_TRUE(eventually([&] { return ran.load() && runners.idle() == runners.runners(); }));
  }
  EXPECT_EQ(runners.runners(), 1u);
  EXPECT_EQ(threads.size(), 1u);
}

TEST(TaskRunners, AnIdleRunnerLeavesAfterItsLinger) {
  Budget budget;
  TaskRunners runners(4, 8, 20ms);
  std::atomic<bool> ran{false};
  runners.run([&] { ran.store(true); });
  ASSERT_TRUE(eventually([&] { return ran.load(); }));
  EXPECT_TRUE(eventually([&] { return runners.runners() == 0; }));
  std::atomic<bool> again{false};
  runners.run([&] { again.store(true); });  // a new runner comes for the next one
  EXPECT_TRUE(eventually([&] { return again.load(); }));
}

TEST(TaskRunners, TheDestructorReturnsWithRunnersIdle) {
  Budget budget;
  std::atomic<int> done{0};
  {
    TaskRunners runners(4, 8, 3600s);  // they would linger for an hour
    for (int i = 0; i < 4; ++i) runners.run([&] { done.fetch_add(1); });
    ASSERT_TRUE(eventually([&] { return done.load() == 4; }));
  }
  EXPECT_EQ(done.load(), 4);
}

}  // namespace
}  // namespace fluxo
