// How many block requests to keep outstanding with one peer: the
// bandwidth-delay product, found by slow start. A new peer starts at
// `initial`; every block received raises the depth by one (doubling it each
// round trip) until the depth covers the target time of the peer's measured
// rate; then it follows the rate. The target is `target_seconds`, or three
// times the shortest wait seen for a block (request to arrival: the round
// trip and the peer's own delay, before our queue at the peer builds up) if
// that is longer, so a long path still gets a full pipe. A deeper queue is
// no faster and makes the end longer: every request queued at a peer when
// nothing is left to claim waits its turn there (a WAN-like swarm of 8
// seeders limited to 4 MiB/s at 100 ms: 1.5 s of queue took 5.0-5.6 s and
// sent 1.005-1.022x, 0.5 s 4.5-5.0 s and 1.003-1.011x). The price: a path
// whose round trip grows far past its base (a link bloated by our own
// uploads) gets a shallower pipe than 1.5 s gave. Pure logic, one instance
// per peer task.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace fluxo {

class RequestDepth {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RequestDepth(std::uint32_t initial = 16, std::uint32_t max = 1000,
                        double target_seconds = 0.5, std::uint32_t block = 16384)
      : depth_(initial), min_(std::min<std::uint32_t>(initial, 4)), max_(max),
        target_seconds_(target_seconds), block_(block) {}

  std::uint32_t depth() const { return depth_; }
  double rate() const { return rate_; }  // bytes per second, smoothed
  // Seconds of the rate the depth covers.
  double target_seconds() const { return std::max(target_seconds_, 3 * min_wait_); }

  // A block came `seconds` after it was requested.
  void on_wait(double seconds) {
    if (seconds > 0 && (min_wait_ == 0 || seconds < min_wait_)) min_wait_ = seconds;
  }

  void on_block(std::uint32_t bytes, Clock::time_point now) {
    window_bytes_ += bytes;
    if (slow_start_) depth_ = std::min(max_, depth_ + 1);
    update(now);
  }

  // Call now and then even without traffic, so an idle peer's rate decays.
  void update(Clock::time_point now) {
    if (window_start_ == Clock::time_point{}) window_start_ = now;
    double secs = std::chrono::duration<double>(now - window_start_).count();
    if (secs < 0.5) return;
    double sample = static_cast<double>(window_bytes_) / secs;
    rate_ = rate_ == 0 ? sample : 0.6 * rate_ + 0.4 * sample;
    window_bytes_ = 0;
    window_start_ = now;
    auto target = static_cast<std::uint32_t>(std::clamp(rate_ * target_seconds() / block_, double(min_), double(max_)));
    if (slow_start_) {
      // Leave slow start once the depth covers the measured rate.
      if (depth_ >= target && rate_ > 0) slow_start_ = false;
    } else {
      depth_ = std::max(target, min_);
    }
  }

  // A timeout or choke: halve, and probe again.
  void on_loss() {
    depth_ = std::max(min_, depth_ / 2);
    slow_start_ = true;
  }

  bool slow_start() const { return slow_start_; }

 private:
  std::uint32_t depth_;
  std::uint32_t min_;
  std::uint32_t max_;
  double target_seconds_;
  std::uint32_t block_;
  bool slow_start_ = true;
  double rate_ = 0;
  double min_wait_ = 0;  // shortest request-to-block wait seen, seconds (0: none yet)
  std::uint64_t window_bytes_ = 0;
  Clock::time_point window_start_{};
};

}  // namespace fluxo
