#include "session/task_runners.h"

#include <utility>

namespace fluxo {

TaskRunners::TaskRunners(ThreadBudget& budget, unsigned max_runners, std::chrono::milliseconds linger)
    : budget_(budget), max_runners_(max_runners ? max_runners : 1), linger_(linger) {}

TaskRunners::~TaskRunners() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  work_cv_.notify_all();
  done_cv_.wait(lock, [this] { return runners_ == 0; });
}

void TaskRunners::run(std::function<void()> task) {
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(task));
  // Enough idle runners for everything queued: wake one. Otherwise a new
  // runner, unless all are there (the task waits for the first free one).
  if (queue_.size() <= idle_) {
    work_cv_.notify_one();
  } else if (runners_ < max_runners_) {
    ++runners_;
    budget_.add_blocking();  // before the enqueue asks oneTBB for a worker
    budget_.blocking_arena().enqueue([this] { runner(); });
  }
}

void TaskRunners::runner() {
  std::unique_lock lock(mu_);
  while (true) {
    if (queue_.empty()) {
      if (stopping_) break;
      ++idle_;
      const bool woken = work_cv_.wait_for(lock, linger_, [this] { return !queue_.empty() || stopping_; });
      --idle_;
      if (!woken) break;  // lingered long enough: the thread goes back to oneTBB
      continue;
    }
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      task();
    } catch (...) {
      // A task handles its own failures (peer tasks report theirs); one
      // that escapes must not take the runner, and its count, with it.
    }
    task = nullptr;  // whatever it captured goes before the runner may be counted out
    lock.lock();
  }
  --runners_;
  budget_.remove_blocking();
  done_cv_.notify_all();  // under the lock: the owner may go right after
}

unsigned TaskRunners::runners() const {
  std::lock_guard lock(mu_);
  return runners_;
}

unsigned TaskRunners::idle() const {
  std::lock_guard lock(mu_);
  return idle_;
}

}  // namespace fluxo
