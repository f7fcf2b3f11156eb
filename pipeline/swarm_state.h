// The state that the peer tasks of one download share, each part safe for
// concurrent use: the atomic have/claimed bitfields and the picker (lock-free
// picking), the buffer pool (memory cap), the registry of partial pieces, the
// log of completed pieces (for HAVE messages), and the book of known peers.
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
  bool claim_peer_id(const wire::PeerId& id);
  void release_peer_id(const wire::PeerId& id);
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
    Clock::time_point next_try{};
  };
  mutable std::mutex mu_;
  std::map<std::string, Record> records_;  // guarded by mu_
  std::deque<std::string> queue_;          // guarded by mu_; addresses to try, in order
  std::set<wire::PeerId> ids_;             // guarded by mu_
};

struct SwarmCounters {
  std::atomic<std::uint64_t> payload_received{0};  // block bytes accepted into pieces
  std::atomic<std::uint64_t> wasted{0};            // duplicates, unrequested blocks
  std::atomic<std::uint64_t> verified_bytes{0};
  std::atomic<std::uint32_t> hash_failures{0};
  std::atomic<std::uint32_t> connected{0};
  std::atomic<std::uint32_t> peers_used{0};        // peers that delivered at least one block
  std::atomic<std::uint32_t> snubbed{0};           // times a peer stopped sending while unchoked
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
  std::atomic<bool> stop{false};
  std::atomic<std::uint32_t> next_session{0};
  // Session id -> address, for blame on hash failures. Guarded by blame_mu.
  std::mutex blame_mu;
  std::map<std::uint32_t, std::string> session_address;
};

}  // namespace fluxo
