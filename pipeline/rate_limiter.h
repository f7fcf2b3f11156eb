// A token bucket shared by the sessions that send (the upload limit). A
// sender takes its bytes and, when the bucket is in debt, sleeps until the
// rate allows them; the burst is a tenth of a second's worth (at least 64 KiB).
// Thread-safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace fluxo {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(double bytes_per_second)
      : rate_(bytes_per_second), burst_(std::max(65536.0, bytes_per_second / 10)), tokens_(burst_),
        last_(Clock::now()) {}

  // Waits until `bytes` may go, or until `stop` is set.
  void acquire(std::size_t bytes, const std::atomic<bool>& stop) {
    double wait_s = 0;
    {
      std::lock_guard lock(mu_);
      auto now = Clock::now();
      tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
      last_ = now;
      tokens_ -= static_cast<double>(bytes);
      if (tokens_ < 0) wait_s = -tokens_ / rate_;
    }
    auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait_s));
    while (Clock::now() < until && !stop.load(std::memory_order_relaxed)) {
      std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(200)));
    }
  }

 private:
  const double rate_;
  const double burst_;
  std::mutex mu_;
  double tokens_;      // guarded by mu_
  Clock::time_point last_;  // guarded by mu_
};

}  // namespace fluxo
