// What a Session lends its torrents (session/torrent.h): one of each per
// process, shared by every torrent.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tracker_response.h"
#include "net/wire.h"
#include "pipeline/piece_memory.h"
#include "pipeline/piece_pipeline.h"
#include "pipeline/rate_limiter.h"

namespace fluxo {

// The session's connection budget: one slot per peer task (dialled or
// accepted), taken before the task starts and given back when it ends, so
// the peer arena never holds more blocking tasks than it has threads.
// `limit` slots are for connections in the budget; incoming connections may
// also take one of `spare` more, for their handshake and a torrent's
// probation (see PeerRoster), so squatters that fill the budget cannot keep
// out an honest peer that would take a squatter's place.
class ConnectionSlots {
 public:
  explicit ConnectionSlots(unsigned limit, unsigned spare = 0) : limit_(limit), spare_(spare) {}
  bool try_take() { return take_below(limit_); }
  bool try_take_spare() { return take_below(limit_ + spare_); }
  void give_back() { used_.fetch_sub(1, std::memory_order_acq_rel); }
  unsigned in_use() const { return used_.load(std::memory_order_relaxed); }
  unsigned limit() const { return limit_; }
  unsigned capacity() const { return limit_ + spare_; }

 private:
  bool take_below(unsigned cap) {
    unsigned n = used_.load(std::memory_order_relaxed);
    while (n < cap) {
      if (used_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) return true;
    }
    return false;
  }
  const unsigned limit_;
  const unsigned spare_;
  std::atomic<unsigned> used_{0};
};

// One recheck at a time (they read whole torrents from disk). Waiting looks
// at a cancel flag every 100 ms. (Not a std::timed_mutex: TSan does not see
// its timed lock and reports the unlock.)
class RecheckTurn {
 public:
  // False when `cancel` was raised before the turn came.
  bool acquire(const std::atomic<bool>& cancel) {
    std::unique_lock lock(mu_);
    while (busy_) {
      if (cancel.load()) return false;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    busy_ = true;
    return true;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      busy_ = false;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool busy_ = false;  // guarded by mu_
};

// Addresses where a dial reached this very session (trackers list us
// too, by an address we cannot know while listening on every interface):
// learned by the first torrent that dials one, skipped by every torrent
// that begins after. A handful at most.
class SelfAddresses {
 public:
  void add(const PeerAddress& a) {
    std::lock_guard lock(mu_);
    if (known_.size() < kMax && std::find(known_.begin(), known_.end(), a) == known_.end()) known_.push_back(a);
  }
  std::vector<PeerAddress> all() const {
    std::lock_guard lock(mu_);
    return known_;
  }

 private:
  static constexpr std::size_t kMax = 16;
  mutable std::mutex mu_;
  std::vector<PeerAddress> known_;  // guarded by mu_
};

struct SessionParts {
  MemoryBudget& memory;        // piece buffers of every torrent
  PiecePipeline& pipeline;     // hashing and writing
  ConnectionSlots& slots;      // connections in all
  RateLimiter* upload_limit;   // all uploads together; null: no limit
  wire::PeerId peer_id;
  std::string bind_ip{};       // outgoing connections from here ("" any)
  std::uint16_t port = 0;      // announced to trackers (0: not listening)
  unsigned hash_threads = 1;   // for rechecks
  std::size_t check_memory = 64u << 20;  // buffers for a recheck
  // Runs a task on the peer arena (a blocking peer connection).
  std::function<void(std::function<void()>)> spawn{};
  // Runs a piece load for an upload cache (a few threads for every torrent).
  std::function<void(std::function<void()>)> prefetch{};
  // Called as a torrent begins to run, before it announces: opens the
  // session's listener on first use (so `port` and `bind_ip` are final).
  // An error only for a torrent that only serves (it cannot do its job).
  std::function<Status(bool serve_only)> go_live{};
  // Connections a torrent dials up to while others wait for slots: the
  // session's fair share (set by the supervisor; read on its thread only).
  unsigned dial_share = 50;
  std::chrono::milliseconds progress_interval{1000};
  // Announces one tracker URL: HTTP(S), or UDP through the session's one
  // UDP tracker client.
  AnnounceFn announce{};
  // Wakes the supervisor before its next tick (a check finished, ...).
  std::function<void()> wake{};
  // Rechecks read whole torrents from disk: one at a time. (Checks that
  // find resume data, or nothing on disk, do not need it.)
  RecheckTurn rechecks{};
  // A magnet's torrent learned its name: refused when another torrent of
  // the session writes to the same place (`where`: directory / name).
  std::function<Status(const void* torrent, const std::filesystem::path& where)> claim_path{};
  SelfAddresses ourselves{};
};

}  // namespace fluxo
