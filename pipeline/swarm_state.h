// The state that the peer tasks of one download share, each part safe for
// concurrent use: the atomic have/claimed bitfields and the picker (lock-free
// picking), the buffer pool (memory cap), the registry of partial pieces, the
// log of completed pieces (for HAVE messages), and the book of known peers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/atomic_bitfield.h"
#include "core/bitfield.h"
#include "core/metainfo.h"
#include "core/tracker_response.h"
#include "net/wire.h"
#include "pipeline/active_piece.h"
#include "pipeline/buffer_pool.h"
#include "pipeline/piece_picker.h"

namespace fluxo {

class PiecePipeline;
class UploadCache;
class RateLimiter;

// Pieces being fetched. A piece enters when a peer claims it and leaves when
// it is complete (handed to the pipeline) or abandoned. Guarded by a mutex
// taken per piece claim or hand-over, never per block.
class ActiveRegistry {
 public:
  void add(std::shared_ptr<ActivePiece> p);
  void remove(const ActivePiece* p);
  // A partial piece that `has` offers with a block to request: one nobody
  // requested, or in end-game one requested by others (not in `mine`) fewer
  // than `max_requests` times. The block is marked requested.
  std::shared_ptr<ActivePiece> find_work(const Bitfield& has, unsigned max_requests,
                                         const std::vector<wire::BlockRef>& mine, wire::BlockRef& out);
  std::size_t size() const;
  std::string debug_string() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<ActivePiece>> pieces_;  // guarded by mu_
};

// Completed pieces in commit order, appended by the writer stage only, read
// by every peer task to send HAVE. Lock-free: a slot is written before the
// size that publishes it.
class CompletionLog {
 public:
  explicit CompletionLog(std::uint32_t capacity)
      : slots_(std::make_unique<std::atomic<std::uint32_t>[]>(capacity)), capacity_(capacity) {}
  void append(PieceIndex p) {
    std::uint32_t n = size_.load(std::memory_order_relaxed);
    if (n >= capacity_) return;
    slots_[n].store(p.value(), std::memory_order_relaxed);
    size_.store(n + 1, std::memory_order_release);
  }
  std::uint32_t size() const { return size_.load(std::memory_order_acquire); }
  PieceIndex at(std::uint32_t i) const { return PieceIndex(slots_[i].load(std::memory_order_relaxed)); }

 private:
  std::unique_ptr<std::atomic<std::uint32_t>[]> slots_;
  std::uint32_t capacity_;
  std::atomic<std::uint32_t> size_{0};
};

// Every peer address we know of, whether it is connected, how often it
// failed, and whether it is banned. Also the set of connected peer ids, so a
// second connection from one peer id is refused.
class PeerBook {
 public:
  using Clock = std::chrono::steady_clock;
  // Adds addresses not seen before; returns how many were new.
  std::size_t add(const std::vector<PeerAddress>& peers);
  // The next address to connect to, marked connecting; nullopt if none is due.
  std::optional<PeerAddress> next_candidate(Clock::time_point now);
  // A connection ended; `failed` schedules a retry after 2 s, then 4 s, then gives up.
  void disconnected(const PeerAddress& a, bool failed, Clock::time_point now);
  // Never connect to this address again (it is ourselves).
  void forget(const PeerAddress& a);
  // One connection per peer id. When two peers connect to each other at
  // once, both ends keep the connection the lower peer id initiated: the
  // newer one may win, and then the older one's `drop` flag is set.
  // `session` identifies the claimant for release_peer_id().
  bool claim_peer_id(const wire::PeerId& id, const wire::PeerId& ours, bool outgoing, std::uint32_t session,
                     std::shared_ptr<std::atomic<bool>> drop);
  void release_peer_id(const wire::PeerId& id, std::uint32_t session);
  // Counts a hash failure against the address; returns true if it is now banned.
  bool strike(const std::string& address, unsigned ban_after);
  bool banned(const std::string& address) const;
  std::size_t known() const;
  std::size_t banned_count() const;

 private:
  struct Record {
    PeerAddress address;
    bool connecting = false;
    unsigned failures = 0;
    unsigned strikes = 0;
    bool banned = false;
    bool forgotten = false;
    Clock::time_point next_try{};
  };
  mutable std::mutex mu_;
  std::map<std::string, Record> records_;  // guarded by mu_
  std::deque<std::string> queue_;          // guarded by mu_; addresses to try, in order
  struct Owner {
    std::uint32_t session;
    bool outgoing;
    std::shared_ptr<std::atomic<bool>> drop;
  };
  std::map<wire::PeerId, Owner> ids_;      // guarded by mu_
};

struct SwarmCounters {
  std::atomic<std::uint64_t> payload_received{0};  // block bytes accepted into pieces
  std::atomic<std::uint64_t> wasted{0};            // duplicates, unrequested blocks
  std::atomic<std::uint64_t> verified_bytes{0};
  std::atomic<std::uint32_t> hash_failures{0};
  std::atomic<std::uint32_t> connected{0};
  std::atomic<std::uint32_t> peers_used{0};        // peers that delivered at least one block
  std::atomic<std::uint32_t> snubbed{0};           // times a peer stopped sending while unchoked
  std::atomic<std::uint64_t> uploaded{0};          // block bytes sent to peers
  std::atomic<std::uint32_t> incoming{0};          // connections accepted
};

// What a session and the choker share about one connected peer. The session
// writes the counters and flags; the choker reads them and writes `unchoke`.
struct PeerLink {
  using Clock = std::chrono::steady_clock;
  std::uint32_t id = 0;
  Clock::time_point connected_at = Clock::now();
  std::atomic<bool> interested{false};  // the peer wants something we have
  std::atomic<bool> snubbed{false};     // it stopped sending to us
  std::atomic<bool> unchoke{false};     // the choker's decision
  std::atomic<std::uint64_t> downloaded{0};  // block bytes it sent us
  std::atomic<std::uint64_t> uploaded{0};    // block bytes we sent it
  // The supervisor's own, for rates: counters at the last look.
  std::uint64_t seen_down = 0, seen_up = 0;
  double down_rate = 0, up_rate = 0;
};

class PeerRoster {
 public:
  void add(std::shared_ptr<PeerLink> p);
  void remove(const PeerLink* p);
  std::vector<std::shared_ptr<PeerLink>> snapshot() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<PeerLink>> links_;  // guarded by mu_
};

struct SwarmState {
  SwarmState(const Metainfo& m, std::size_t pool_pieces);
  const Metainfo& meta;
  wire::PeerId our_id{};
  AtomicBitfield have;
  AtomicBitfield claimed;
  PiecePicker picker;
  BufferPool pool;
  ActiveRegistry active;
  CompletionLog completed;
  PeerBook peers;
  SwarmCounters counters;
  PiecePipeline* pipeline = nullptr;
  UploadCache* upload = nullptr;       // verified pieces for peers; null: we serve nothing
  RateLimiter* upload_limit = nullptr;  // null: unlimited
  PeerRoster roster;                   // connected peers, for the choker
  std::atomic<bool> seeding{false};    // stay connected to serve once complete
  bool downloading = true;             // false: serve only, never ask for pieces
  std::string bind_ip;                 // outgoing connections from here (the listen address)
  // A piece that failed its hash when read back for a peer: no longer ours.
  std::function<void(PieceIndex, const Status&)> on_piece_lost;
  std::atomic<bool> stop{false};
  std::atomic<std::uint32_t> next_session{0};
  // Session id -> address, for blame on hash failures. Guarded by blame_mu.
  std::mutex blame_mu;
  std::map<std::uint32_t, std::string> session_address;
};

}  // namespace fluxo
