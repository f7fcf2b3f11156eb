// The connections of a download, like a server's: what a session and the
// supervisor (choker, eviction) share about each connected peer, and the
// connection budget.
//
// Budget: at most `total` connections; at most `incoming` of them accepted
// (so peers that connect to us cannot take the slots we dial out with, and
// the reverse is bounded by `total`); at most `per_ip` from one IP address.
//
// A connection that arrives when the budget is spent is taken on probation
// (at most `probation` at once): it may shake hands, and if within
// `probation_time` it shows it is worth a slot (it is interested in us, or
// has something we need), it takes the place of the least useful peer: a
// handshaken one that for `useless_after` has neither sent nor been sent a
// block and is not interested either way, or that for `stingy_after` has
// traded no block at all, interest or not. Otherwise it is dropped. So squatters that shake hands
// and idle hold no slot an honest peer needs, and cannot push out anyone
// useful either. An evicted peer's `drop` flag is set and it leaves the
// roster at once, so its slot is free before its task notices.
//
// Thread-safety: all members lock; PeerLink's fields are atomics written by
// its session (counters, flags) or by the supervisor (unchoke).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/peer_stream.h"

namespace fluxo {

struct PeerLink {
  using Clock = std::chrono::steady_clock;
  PeerLink(std::uint32_t session, std::string address, bool in, Clock::time_point now = Clock::now())
      : id(session), ip(std::move(address)), incoming(in), connected_at(now),
        useful_at(connected_at.time_since_epoch().count()) {}
  const std::uint32_t id;
  const std::string ip;
  const bool incoming;
  const Clock::time_point connected_at;
  // The session ends soon after this is set: a ban, an eviction, or a
  // crossed connection that lost (see PeerBook::claim_peer_id).
  const std::shared_ptr<std::atomic<bool>> drop = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> ready{false};       // handshake done: the choker considers it
  std::atomic<bool> provisional{false};  // on probation: beyond the budget until promoted
  std::atomic<bool> interested{false};  // the peer wants something we have
  std::atomic<bool> wanted{false};      // it has something we need (we are interested)
  std::atomic<bool> snubbed{false};     // it stopped sending to us
  std::atomic<bool> unchoke{false};     // the choker's decision
  std::atomic<std::uint64_t> downloaded{0};  // block bytes it sent us
  std::atomic<std::uint64_t> uploaded{0};    // block bytes we sent it
  std::atomic<Clock::rep> useful_at;         // last block either way (connection time at first)
  void mark_useful(Clock::time_point now) { useful_at.store(now.time_since_epoch().count(), std::memory_order_relaxed); }
  Clock::time_point last_useful() const {
    return Clock::time_point(Clock::duration(useful_at.load(std::memory_order_relaxed)));
  }
  // Ends the connection's task at once (a stop, a drop): a task blocked in
  // a receive is woken instead of noticing at its next poll. The task
  // attaches its stream while it runs and detaches it before the stream goes.
  void attach(PeerStream* s) {
    std::lock_guard lock(stream_mu_);
    stream_ = s;
  }
  void detach() {
    std::lock_guard lock(stream_mu_);
    stream_ = nullptr;
  }
  void interrupt() {
    std::lock_guard lock(stream_mu_);
    if (stream_) stream_->interrupt();
  }
  // Sets `drop` and wakes the task.
  void drop_now() {
    drop->store(true);
    interrupt();
  }
  // The supervisor's own, for rates: counters at the last look.
  std::uint64_t seen_down = 0, seen_up = 0;
  double down_rate = 0, up_rate = 0;

 private:
  std::mutex stream_mu_;
  PeerStream* stream_ = nullptr;  // guarded by stream_mu_
};

struct ConnectionLimits {
  unsigned total = 50;
  unsigned incoming = 25;
  unsigned per_ip = 2;
  unsigned probation = 8;
  std::chrono::seconds probation_time{10};
  std::chrono::seconds useless_after{5};
  std::chrono::seconds stingy_after{30};
};

class PeerRoster {
 public:
  using Clock = PeerLink::Clock;
  explicit PeerRoster(ConnectionLimits limits) : limits_(limits) {}

  // Admits a new connection: within the budget, or on probation (then
  // link->provisional is set). False: it must be closed.
  bool admit(const std::shared_ptr<PeerLink>& link, Clock::time_point now);
  // A connection on probation proved useful: it gets a slot, evicting the
  // least useful peer if need be. False if no slot could be had (it stays on
  // probation). True at once for a connection not on probation.
  bool promote(PeerLink& link, Clock::time_point now);
  // Drops connections whose probation ran out; returns how many.
  std::size_t expire_probation(Clock::time_point now);
  // Frees one slot of the given direction (or any, when both) by evicting the
  // least useful peer; false if no peer is useless enough.
  bool evict_one(bool incoming_only, Clock::time_point now);
  void remove(const PeerLink* p);
  // Wakes every connection's task (the torrent stops: `stop` is set).
  void interrupt_all();
  // Drops every connection from `ip` (it was banned). Returns how many.
  std::size_t drop_ip(const std::string& ip);

  std::vector<std::shared_ptr<PeerLink>> snapshot() const;  // handshaken peers only
  std::size_t size() const;  // probation included
  bool full() const;         // no regular slot left
  const ConnectionLimits& limits() const { return limits_; }
  std::uint32_t evictions() const { return evictions_.load(); }  // useless peers dropped for others
  bool useless(const PeerLink& l, Clock::time_point now) const;

 private:
  bool evict_locked(bool incoming_only, Clock::time_point now);
  bool fits_locked(const PeerLink& link) const;  // a regular slot is free for it
  ConnectionLimits limits_;
  std::atomic<std::uint32_t> evictions_{0};
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<PeerLink>> links_;  // guarded by mu_
};

}  // namespace fluxo
