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
#include <functional>
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
// process's thread budget, as the Session's: up to 64 peers, 2 hashing
// threads, an arena of `slots` for the runners.
struct Budget : ThreadBudget {
  explicit Budget(unsigned slots) : ThreadBudget(64, 2, slots) {}
};

// This process's threads, as the kernel counts them.
unsigned threads_now() {
  unsigned n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST(TaskRunners, TasksThatWaitForEachOtherAllRunAtOnce) {
  Budget budget(8);
  TaskRunners runners(budget, 8);
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

// Runners that start one at a time and stay busy (long-lived connections),
// a few of which end and linger out: a new task still finds a thread at
// once, again and again. oneTBB wakes a worker for an enqueue only while
// the arena's demand (its slots; withdrawn whenever it runs out of queued
// work) exceeds the workers running, and a worker blocked in a runner
// counts as running: with arenas of 8 slots made as runners filled them,
// the 17th connection's task waited here for a thread until another ended.
// One arena sized for every runner is asked for more than are ever busy.
TEST(TaskRunners, ANewTaskRunsWhileManyRunnersStayBusy) {
  Budget budget(64);
  TaskRunners runners(budget, 64, 20ms);
  std::mutex mu;
  std::condition_variable cv;
  std::set<int> released;
  bool all = false;
  std::atomic<int> started{0};
  auto blocking = [&](int id) {
    return [&, id] {
      started.fetch_add(1);
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return all || released.count(id) > 0; });
    };
  };
  for (int i = 0; i < 16; ++i) {
    runners.run(blocking(i));
    ASSERT_TRUE(eventually([&] { return started.load() == i + 1; })) << "runner " << i << " never started";
    std::this_thread::sleep_for(30ms);  // one at a time, as peers come
  }
  int expected = 16;
  for (int round = 0; round < 3; ++round) {
    {
      std::lock_guard lock(mu);
      released.insert(round);
      released.insert(8 + round);
    }
    cv.notify_all();
    ASSERT_TRUE(eventually([&] { return runners.runners() == 14; }));  // both lingered out
    for (int k = 0; k < 2; ++k) {
      runners.run(blocking(100 + 2 * round + k));
      ++expected;
      EXPECT_TRUE(eventually([&] { return started.load() == expected; })) << "round " << round << ": a new task never started";
      std::this_thread::sleep_for(30ms);
    }
  }
  {
    std::lock_guard lock(mu);
    all = true;
  }
  cv.notify_all();
}

// The limit oneTBB keeps in force follows the blocking tasks, within the
// ceiling decided at the start.
TEST(ThreadBudget, TheLimitFollowsTheBlockingTasksUpToTheCeiling) {
  ThreadBudget budget(1, 2, 4);
  // What oneTBB applies, not only what the budget computed.
  auto in_force = [] {
    return oneapi::tbb::global_control::active_value(oneapi::tbb::global_control::max_allowed_parallelism);
  };
  const unsigned base = 2 * 2 + ThreadBudget::kSpare;
  EXPECT_EQ(budget.threads(), ThreadBudget::threads_for(1, 2));
  EXPECT_EQ(budget.limit(), base);
  EXPECT_EQ(in_force(), base);
  budget.add_blocking();
  budget.add_blocking();
  EXPECT_EQ(budget.limit(), base + 2);
  EXPECT_EQ(in_force(), base + 2);
  budget.remove_blocking();
  EXPECT_EQ(budget.limit(), base + 1);
  EXPECT_EQ(in_force(), base + 1);
  for (unsigned i = 0; i < 2 * budget.threads(); ++i) budget.add_blocking();
  EXPECT_EQ(budget.limit(), budget.threads());
  EXPECT_EQ(in_force(), budget.threads());
}

// An arena sized for 64 connections with three of them running: about three
// worker threads, not 64. oneTBB asks for every slot of an arena when a task
// is enqueued; with the ceiling in force this process had ~64 threads here,
// and a fluxo seed with one peer ~230.
TEST(TaskRunners, AProcessHasAboutAsManyThreadsAsBlockingTasks) {
  Budget budget(64);
  TaskRunners runners(budget, 64, 60s);
  const unsigned before = threads_now();
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> started{0};
  for (int i = 0; i < 3; ++i) {
    runners.run([&] {
      started.fetch_add(1);
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
    });
    ASSERT_TRUE(eventually([&] { return started.load() == i + 1; }));
  }
  // The three runners, the hashing threads and the spare ones at most.
  EXPECT_LE(threads_now(), before + 3 + 2 * 2 + ThreadBudget::kSpare);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
}

// oneTBB serves the high-priority hashing arenas first. With a download
// hashing and a recheck at once, on 6 hashing threads, both keep asking for
// 5 workers each (pieces queued beyond them); a budget that counted the
// hashing threads once left the peer arena fewer workers than runners, and a
// new connection's task waited for one until a hashing arena ran out of work.
TEST(TaskRunners, ANewTaskRunsWhileTwoHashingArenasAreBusy) {
  ThreadBudget budget(64, 6, 64);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> hashing{0}, hashed{0}, held{0};
  auto hold = [&] {
    held.fetch_add(1);
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    held.fetch_sub(1);
  };
  oneapi::tbb::task_arena download(6, 1, oneapi::tbb::task_arena::priority::high);
  oneapi::tbb::task_arena recheck(6, 1, oneapi::tbb::task_arena::priority::high);
  TaskRunners runners(budget, 64, 60s);
  // Destroyed first, on every way out: lets every holder go and waits until
  // none is left touching this frame.
  struct Release {
    std::function<void()> f;
    ~Release() { f(); }
  } let_go{[&] {
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
    eventually([&] { return held.load() == 0 && hashed.load() == 16; });
  }};
  for (auto* arena : {&download, &recheck}) {
    for (int i = 0; i < 8; ++i) {  // 5 run, 3 wait: the arena keeps asking
      arena->enqueue([&] {
        hashing.fetch_add(1);
        hold();
        hashed.fetch_add(1);
      });
    }
  }
  ASSERT_TRUE(eventually([&] { return hashing.load() >= 8; }));
  std::atomic<int> started{0};
  for (int i = 0; i < 8; ++i) {
    runners.run([&] {
      started.fetch_add(1);
      hold();
    });
    ASSERT_TRUE(eventually([&] { return started.load() == i + 1; })) << "runner " << i << " never started";
  }
}

TEST(TaskRunners, ATaskBeyondTheLimitWaitsForAFreeRunner) {
  Budget budget(2);
  TaskRunners runners(budget, 2);
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
  Budget budget(16);
  TaskRunners runners(budget, 16, 60s);
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
  Budget budget(4);
  TaskRunners runners(budget, 4, 20ms);
  std::atomic<bool> ran{false};
  runners.run([&] { ran.store(true); });
  ASSERT_TRUE(eventually([&] { return ran.load(); }));
  EXPECT_TRUE(eventually([&] { return runners.runners() == 0; }));
  std::atomic<bool> again{false};
  runners.run([&] { again.store(true); });  // a new runner comes for the next one
  EXPECT_TRUE(eventually([&] { return again.load(); }));
}

TEST(TaskRunners, TheDestructorReturnsWithRunnersIdle) {
  Budget budget(4);
  std::atomic<int> done{0};
  {
    TaskRunners runners(budget, 4, 3600s);  // they would linger for an hour
    for (int i = 0; i < 4; ++i) runners.run([&] { done.fetch_add(1); });
    ASSERT_TRUE(eventually([&] { return done.load() == 4; }));
  }
  EXPECT_EQ(done.load(), 4);
}

}  // namespace
}  // namespace fluxo
