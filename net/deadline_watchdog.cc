#include "net/deadline_watchdog.h"

#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace fluxo {

struct DeadlineWatchdog::Entry {
  int fd = -1;
  Clock::time_point deadline;
  const std::atomic<bool>* stop = nullptr;
  std::atomic<Fired> fired{Fired::no};
};

struct DeadlineWatchdog::State {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<Entry>> entries;  // guarded by mu
  bool running = false;                         // guarded by mu; set by the first watch()
};

DeadlineWatchdog::DeadlineWatchdog() : state_(std::make_unique<State>()) {}
DeadlineWatchdog::~DeadlineWatchdog() = default;

// Never destroyed, and its thread never joined: a peer or tracker thread
// may still release a Watch while static destructors run at exit.
DeadlineWatchdog& DeadlineWatchdog::instance() {
  static DeadlineWatchdog* w = new DeadlineWatchdog;
  return *w;
}

DeadlineWatchdog::Watch DeadlineWatchdog::watch(int fd, Clock::time_point deadline,
                                                const std::atomic<bool>* stop) {
  auto e = std::make_shared<Entry>();
  e->fd = fd;
  e->deadline = deadline;
  e->stop = stop;
  {
    std::lock_guard lock(state_->mu);
    if (!state_->running) {
      std::thread([this] { run(); }).detach();
      state_->running = true;
    }
    state_->entries.push_back(e);
  }
  state_->cv.notify_one();
  return Watch(std::move(e));
}

void DeadlineWatchdog::unwatch(const std::shared_ptr<Entry>& e) {
  // Under the mutex: once this returns, run() cannot shut the fd down.
  std::lock_guard lock(state_->mu);
  auto& v = state_->entries;
  v.erase(std::remove(v.begin(), v.end(), e), v.end());
}

void DeadlineWatchdog::run() {
  std::unique_lock lock(state_->mu);
  for (;;) {
    auto now = Clock::now();
    auto next = Clock::time_point::max();
    auto& v = state_->entries;
    for (auto it = v.begin(); it != v.end();) {
      Entry& e = **it;
      Fired why = e.stop != nullptr && e.stop->load() ? Fired::stop
                  : now >= e.deadline                 ? Fired::deadline
                                                      : Fired::no;
      if (why != Fired::no) {
        e.fired.store(why);
        ::shutdown(e.fd, SHUT_RDWR);
        it = v.erase(it);
        continue;
      }
      next = std::min(next, e.deadline);
      if (e.stop != nullptr) next = std::min(next, now + kStopPoll);
      ++it;
    }
    if (next == Clock::time_point::max()) {
      state_->cv.wait(lock);
    } else {
      state_->cv.wait_until(lock, next);
    }
  }
}

DeadlineWatchdog::Watch& DeadlineWatchdog::Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    reset();
    entry_ = std::move(other.entry_);
    active_ = std::exchange(other.active_, false);
  }
  return *this;
}

DeadlineWatchdog::Watch::~Watch() {
  reset();
}

void DeadlineWatchdog::Watch::reset() {
  if (!entry_ || !active_) return;
  DeadlineWatchdog::instance().unwatch(entry_);
  active_ = false;
}

DeadlineWatchdog::Fired DeadlineWatchdog::Watch::fired() const {
  return entry_ ? entry_->fired.load() : Fired::no;
}

}  // namespace fluxo
