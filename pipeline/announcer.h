// A download's trackers (BEP 3, BEP 12) on a thread of its own: tiers in
// order, trackers shuffled within a tier, a tracker that answers moves to
// the front of its tier; `started` first, `completed` once every piece is
// had, `stopped` at the end. Each announce has one overall deadline
// (TrackerOptions::timeout) and is abandoned at once when the download
// stops, so a hung or dribbling tracker neither blocks the next tier nor
// delays completion or exit; the final `stopped` gets one second.
//
// Addresses go into the swarm's PeerBook; results are reported through
// `report`, called from the announcer's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "net/tracker_client.h"
#include "pipeline/swarm_state.h"

namespace fluxo {

class Announcer {
 public:
  struct Report {
    bool ok = false;
    std::string text;       // tracker URL (and warning), or the error
    std::size_t new_peers = 0;
  };
  // Starts announcing at once. `port` is the one we listen on. `on_finished`,
  // if set, is called on the announcer's thread as it ends (the owner's
  // wake-up).
  // `transport` announces one URL (empty: HTTP(S) only, net/tracker_client.h).
  Announcer(SwarmState& swarm, TrackerOptions options, std::uint16_t port, std::function<void(Report)> report,
            std::function<void()> on_finished = {}, AnnounceFn transport = {});
  // Sets the swarm's `stop` (if it was not yet), sends `stopped` (bounded)
  // and joins.
  ~Announcer();
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;

  // Ends the thread's wait now (it waits up to 100 ms between looks):
  // called when the swarm stops or completes, so `stopped` or `completed`
  // goes out at once.
  void wake();

  // Whether the last round reached a tracker.
  bool working() const { return working_.load(); }
  // The thread has ended (after the swarm's `stop`, once `stopped` was
  // sent): destroying the announcer will not block.
  bool finished() const { return finished_.load(); }

 private:
  void run();
  bool announce_round(AnnounceEvent event);

  SwarmState& s_;
  TrackerOptions options_;
  std::function<void(Report)> report_;
  std::function<void()> on_finished_;
  AnnounceFn transport_;
  std::vector<std::vector<std::string>> tiers_;
  AnnounceRequest req_;
  std::string last_good_;
  std::chrono::steady_clock::time_point next_;
  std::chrono::seconds backoff_{15};
  std::atomic<bool> working_{false};
  std::atomic<bool> finished_{false};
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool woken_ = false;  // guarded by wake_mu_
  std::thread thread_;
};

}  // namespace fluxo
