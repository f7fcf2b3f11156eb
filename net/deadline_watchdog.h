// Ends blocking socket calls that outlive a deadline or a stop request.
//
// A blocking POCO call (connect, a TLS handshake, a read) has at best a
// per-call timeout, which a peer that sends one byte at a time resets
// forever, and it does not look at a stop flag. The watchdog is one
// process-wide thread holding registrations of (socket descriptor, deadline,
// stop flag); when the deadline passes or the flag is set it calls
// ::shutdown(fd, SHUT_RDWR), which makes every blocked call on that socket
// return at once (a read returns 0, a connect fails). It never closes the
// descriptor: closing belongs to the owner, and a descriptor closed by
// another thread could be reused before the owner's next call.
//
// Lifetime: a Watch must be destroyed before its socket is closed (declare
// it after the socket, or reset it first). Its destructor returns only when
// the watchdog can no longer touch the descriptor. Stop flags are polled
// every 50 ms while any registration carries one; an idle watchdog sleeps.
// Thread-safe. The instance and its thread live until the process ends.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <utility>

namespace fluxo {

class DeadlineWatchdog {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Fired { no, deadline, stop };

  // How often stop flags are looked at while a registration has one.
  static constexpr std::chrono::milliseconds kStopPoll{50};

  struct Entry;
  // One registration; unregisters on destruction.
  class Watch {
   public:
    Watch() = default;
    Watch(Watch&& o) noexcept
        : entry_(std::move(o.entry_)), active_(std::exchange(o.active_, false)) {}
    Watch& operator=(Watch&& other) noexcept;
    ~Watch();
    // Why the watchdog shut the socket down, if it did (still known after
    // reset()).
    Fired fired() const;
    void reset();  // unregisters now

   private:
    friend class DeadlineWatchdog;
    explicit Watch(std::shared_ptr<Entry> e) : entry_(std::move(e)), active_(true) {}
    std::shared_ptr<Entry> entry_;
    bool active_ = false;
  };

  static DeadlineWatchdog& instance();

  // Shuts `fd` down at `deadline` or once `*stop` is true (`stop` may be
  // null; it must outlive the Watch).
  [[nodiscard]] Watch watch(int fd, Clock::time_point deadline, const std::atomic<bool>* stop);

  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;

 private:
  DeadlineWatchdog();
  ~DeadlineWatchdog();  // never runs (see instance())
  void unwatch(const std::shared_ptr<Entry>& e);
  void run();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fluxo
