// The serving half of a peer session: the peer's requests, checked against
// the peer-wire rules of HOSTILE.md and queued, the choke state the choker
// asks for, and batches of blocks sent from the upload cache.
//
// Rules: a request of 0 or more than 16 KiB, or past the end of its piece,
// is a violation (the session ends); requests while choked and for pieces we
// do not have are rejected (BEP 6) and, past a limit within a sliding
// window, a violation; at most kMaxQueue requests wait; a cancel removes its
// request (answered with a reject under BEP 6), and floods of cancels for
// nothing (again within a window) are a violation. The windows make the
// limits about rates: a long-lived peer is not dropped for what ordinary
// rechokes add up to over hours.
// Owned and used by one session's thread.
#pragma once

#include <sys/uio.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "net/peer_stream.h"
#include "net/wire.h"
#include "pipeline/swarm_state.h"

namespace fluxo {

// Events within the last `window` (two buckets: the current one and, scaled
// down by how far the window has moved on, the previous one). Pure; time is
// passed in.
class WindowCounter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit WindowCounter(Clock::duration window) : window_(window) {}
  // Counts one event at `now`; returns the count within the window.
  std::uint32_t add(Clock::time_point now) {
    if (now - start_ >= 2 * window_) {
      start_ = now;
      previous_ = current_ = 0;
    } else if (now - start_ >= window_) {
      start_ += window_;
      previous_ = current_;
      current_ = 0;
    }
    ++current_;
    auto into = std::chrono::duration<double>(now - start_) / std::chrono::duration<double>(window_);
    return current_ + static_cast<std::uint32_t>(previous_ * (1.0 - into));
  }

 private:
  Clock::duration window_;
  Clock::time_point start_{};
  std::uint32_t previous_ = 0, current_ = 0;
};

class UploadQueue {
 public:
  static constexpr std::size_t kMaxQueue = 2048;  // requests queued from one peer
  static constexpr std::size_t kBatch = 16;       // blocks per gathered write
  static constexpr std::chrono::seconds kAbuseWindow{10};

  // `upload` null: we serve nothing (every request is rejected or ignored);
  // `limit` null: unlimited.
  UploadQueue(SwarmState& swarm, UploadCache* upload, RateLimiter* limit, std::string who, PeerLink& link, bool fast)
      : s_(swarm), upload_(upload), limit_(limit), who_(std::move(who)), link_(link), fast_(fast) {}

  bool choking() const { return choking_; }
  // Blocks waiting that may be sent now.
  bool ready() const { return !queue_.empty() && !choking_; }

  // Applies the choker's decision; CHOKE/UNCHOKE (and, when choking, rejects
  // for every queued request) are appended to `out`.
  void sync_choke(std::vector<std::uint8_t>& out);
  Status on_request(const wire::BlockRef& r, std::vector<std::uint8_t>& out);
  Status on_cancel(const wire::BlockRef& r, std::vector<std::uint8_t>& out);

  // Sends up to kBatch queued blocks, each a PIECE header and the bytes of a
  // verified piece (UploadCache::get_block), in one gathered write led by `out` (messages queued
  // before them), which is then cleared. Rejects for blocks it could not
  // serve are left in `out`. Returns whether anything was written.
  Result<bool> serve(PeerStream& socket, std::vector<std::uint8_t>& out);

 private:
  void reject(const wire::BlockRef& r, std::vector<std::uint8_t>& out) const;

  SwarmState& s_;
  UploadCache* const upload_;
  RateLimiter* const limit_;
  std::string who_;
  PeerLink& link_;
  bool fast_;
  bool choking_ = true;
  std::deque<wire::BlockRef> queue_;
  std::uint32_t serving_index_ = UINT32_MAX;  // the piece of the last block sent
  std::uint32_t last_prefetch_ = UINT32_MAX;
  // Abuse, counted over the last kAbuseWindow.
  WindowCounter requests_while_choked_{kAbuseWindow};
  WindowCounter bad_requests_{kAbuseWindow};
  WindowCounter stray_cancels_{kAbuseWindow};
  // serve()'s scratch.
  std::vector<iovec> iov_;
  std::array<std::array<std::uint8_t, wire::kPieceHeaderSize>, kBatch> heads_{};
  std::array<std::shared_ptr<const std::vector<std::uint8_t>>, kBatch> held_;  // block bytes until sent
  std::vector<wire::BlockRef> unserved_;
};

}  // namespace fluxo
