// Blocking tasks (peer connections, the accept loop) on oneTBB arenas,
// without waking oneTBB's idle workers for each one, and with threads that
// follow the number of tasks.
//
// Enqueueing a task in an arena asks oneTBB for workers; every worker that
// comes and finds nothing to take spins and calls sched_yield before it
// sleeps again. With a few hundred threads in the peer arena and
// connections starting and ending all the time (many torrents, each a few
// seconds long), that idle loop took about a quarter of fluxo's CPU (56,000
// sched_yield calls fetching 50 torrents of 8 MiB). So a task goes to a
// runner instead: a long-lived arena task that takes tasks from a queue and,
// with nothing queued, sleeps on a condition variable. A new runner is
// enqueued only when no runner is idle, at most `max_runners`; one idle for
// `linger` returns its thread to oneTBB.
//
// The runners live in small arenas of `per_arena` slots, made as runners
// need them. oneTBB asks for a worker for every slot of an arena the first
// time work is enqueued in it, and keeps the threads it launched: one arena
// sized for every connection (200 peers and spares) made a process with one
// peer, or none, run 230 threads, and under ThreadSanitizer their idle spin
// slowed everything else to a crawl. With small arenas the threads number
// about the runners, rounded up to `per_arena`.
//
// Thread-safety: run() from any thread, a task included. The destructor
// waits for every runner to return: every task must have ended or be about
// to (the owner stops its tasks first), and it must not be called from a
// task.
#pragma once

#include <oneapi/tbb/task_arena.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace fluxo {

class TaskRunners {
 public:
  explicit TaskRunners(unsigned max_runners, unsigned per_arena = 8,
                       std::chrono::milliseconds linger = std::chrono::seconds(5));
  ~TaskRunners();
  TaskRunners(const TaskRunners&) = delete;
  TaskRunners& operator=(const TaskRunners&) = delete;

  // Runs `task` on a runner: an idle one, a new one, or (all `max_runners`
  // busy) the first to finish its task.
  void run(std::function<void()> task);

  unsigned runners() const;  // alive
  unsigned idle() const;     // waiting for a task
  unsigned arenas() const;   // made so far

 private:
  struct Arena {
    std::unique_ptr<oneapi::tbb::task_arena> arena;
    unsigned runners = 0;  // guarded by mu_
  };
  void start_runner();  // mu_ held
  void runner(std::size_t arena);

  const unsigned max_runners_;
  const unsigned per_arena_;
  const std::chrono::milliseconds linger_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  std::vector<Arena> arenas_;                // guarded by mu_; only grows
  unsigned runners_ = 0;                     // guarded by mu_
  unsigned idle_ = 0;                        // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
};

}  // namespace fluxo
