// Every peer address a download knows of (from trackers and --peer), when
// to try each again, which IP addresses are banned, and which peer ids are
// connected. Thread-safe: any peer task and the supervisor.
//
// Bounds: at most `max_records` addresses (new ones beyond it are ignored
// until some are given up on), given-up addresses are forgotten, and at most
// `max_bans` bans (the oldest is lifted first). Bans are by IP address, so a
// peer cannot come back from a new port.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tracker_response.h"
#include "net/wire.h"

namespace fluxo {

// "1.2.3.4" of "1.2.3.4:6881", "::1" of "[::1]:6881": the key of bans and
// of the per-IP connection limit.
std::string ip_of(std::string_view host_port);

class PeerBook {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PeerBook(std::size_t max_records = 4000, std::size_t max_bans = 10000)
      : max_records_(max_records), max_bans_(max_bans) {}

  // Adds addresses not seen before; returns how many were new.
  std::size_t add(const std::vector<PeerAddress>& peers);
  // The next address to connect to, marked connecting; nullopt if none is due.
  std::optional<PeerAddress> next_candidate(Clock::time_point now);
  // Whether next_candidate() would return an address now.
  bool candidate_due(Clock::time_point now) const;
  // A connection ended; `failed` schedules a retry after 2 s, then 4 s, then
  // the address is given up on (forgotten). Otherwise it is tried again
  // after `retry` (a peer with nothing to trade: later).
  void disconnected(const PeerAddress& a, bool failed, Clock::time_point now,
                    std::chrono::seconds retry = std::chrono::seconds(2));
  // Never connect to this address (it is ourselves), even if listed later.
  void forget(const PeerAddress& a);
  // What worked with this address last time (MSE or plain: the next dial
  // opens with it), for addresses in the book.
  void note_plain(const PeerAddress& a, bool plain);
  bool plain_first(const PeerAddress& a) const;

  // One connection per (IP address, peer id). When two peers connect to each
  // other at once, both ends keep the connection the lower peer id
  // initiated: the newer one may win, and then the older one's `drop` flag
  // is set. A peer that borrows another's id from another address claims a
  // different key, so it cannot push the real peer out. `session`
  // identifies the claimant for release_peer_id().
  bool claim_peer_id(const std::string& ip, const wire::PeerId& id, const wire::PeerId& ours, bool outgoing,
                     std::uint32_t session, std::shared_ptr<std::atomic<bool>> drop);
  void release_peer_id(const std::string& ip, const wire::PeerId& id, std::uint32_t session);

  // Bans an IP address; true if it was not banned before.
  bool ban(const std::string& ip);
  bool banned(const std::string& ip) const;
  std::size_t known() const;
  std::size_t banned_count() const;

 private:
  struct Record {
    PeerAddress address;
    bool connecting = false;
    unsigned failures = 0;
    bool forgotten = false;
    bool plain = false;  // answered plain after MSE failed
    Clock::time_point next_try{};
  };
  bool banned_locked(const std::string& ip) const { return bans_.count(ip) != 0; }
  std::size_t max_records_;
  std::size_t max_bans_;
  mutable std::mutex mu_;
  std::map<std::string, Record> records_;  // guarded by mu_; by "ip:port"
  std::deque<std::string> queue_;          // guarded by mu_; addresses to try, in order
  std::set<std::string> bans_;             // guarded by mu_
  std::deque<std::string> ban_order_;      // guarded by mu_; oldest first
  struct Owner {
    std::uint32_t session;
    bool outgoing;
    std::shared_ptr<std::atomic<bool>> drop;
  };
  std::map<std::pair<std::string, wire::PeerId>, Owner> ids_;  // guarded by mu_
};

}  // namespace fluxo
