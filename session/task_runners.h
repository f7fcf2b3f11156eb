// Blocking tasks (peer connections, the accept loop) on the peer arena,
// without waking oneTBB's idle workers for each one.
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
// `linger` returns its thread to oneTBB. Each runner alive counts in the
// process's ThreadBudget: the limit oneTBB keeps in force grows by one
// before a runner is enqueued and shrinks when it returns, so the process
// has about as many worker threads as runners (thread_budget.h).
//
// Thread-safety: run() from any thread, a task included. The destructor
// waits for every runner to return: every task must have ended or be about
// to (the owner stops its tasks first), and it must not be called from a
// task.
#pragma once

#include "pipeline/thread_budget.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace fluxo {

class TaskRunners {
 public:
  // Runners go to the budget's blocking arena.
  TaskRunners(ThreadBudget& budget, unsigned max_runners,
              std::chrono::milliseconds linger = std::chrono::seconds(5));
  ~TaskRunners();
  TaskRunners(const TaskRunners&) = delete;
  TaskRunners& operator=(const TaskRunners&) = delete;

  // Runs `task` on a runner: an idle one, a new one, or (all `max_runners`
  // busy) the first to finish its task.
  void run(std::function<void()> task);

  unsigned runners() const;  // alive
  unsigned idle() const;     // waiting for a task

 private:
  void runner();

  ThreadBudget& budget_;
  const unsigned max_runners_;
  const std::chrono::milliseconds linger_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  unsigned runners_ = 0;                     // guarded by mu_
  unsigned idle_ = 0;                        // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
};

}  // namespace fluxo
