// The state that the peer tasks of one download share, each part safe for
// concurrent use: the atomic have/claimed bitfields and the picker (lock-free
// picking), the buffer pool (memory cap), the registry of partial pieces, the
// log of completed pieces (for HAVE messages), the book of known peers and
// bans, and the roster of connections.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/atomic_bitfield.h"
#include "core/bitfield.h"
#include "core/metainfo.h"
#include "core/status.h"
#include "net/wire.h"
#include "pipeline/active_piece.h"
#include "pipeline/peer_book.h"
#include "pipeline/peer_roster.h"
#include "pipeline/piece_memory.h"
#include "pipeline/piece_picker.h"

namespace fluxo {

class PiecePipeline;
struct PieceTarget;
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
  // requested, or in end-game one requested by others (not in `exclude`)
  // fewer than `max_requests` times, and not in `rejected` (may be null).
  // The block is marked requested. Single-source pieces owned by another
  // session are skipped.
  std::shared_ptr<ActivePiece> find_work(const Bitfield& has, unsigned max_requests,
                                         const std::vector<wire::BlockRef>& exclude, const BlockSet* rejected,
                                         std::uint32_t session, wire::BlockRef& out);
  // Forgets every block `ip` sent to a partial piece (it was banned).
  std::uint32_t drop_source(const std::string& ip);
  std::size_t size() const;
  std::string debug_string() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<ActivePiece>> pieces_;  // guarded by mu_
};

// Completed pieces in commit order, appended by the writer stage only, read
// by every peer task to send HAVE. A piece lost and fetched again is
// appended again, so the log can grow past the piece count: it is a chain of
// segments of doubling size (`base` slots, then 2 x base, ...), allocated by
// the writer as needed and never moved, so readers take no lock. A slot is
// written before the size that publishes it.
class CompletionLog {
 public:
  explicit CompletionLog(std::uint32_t base) : base_(std::max<std::uint32_t>(base, 64)) {}
  ~CompletionLog();
  CompletionLog(const CompletionLog&) = delete;
  CompletionLog& operator=(const CompletionLog&) = delete;
  void append(PieceIndex p);
  std::uint32_t size() const { return size_.load(std::memory_order_acquire); }
  PieceIndex at(std::uint32_t i) const;

 private:
  static constexpr int kSegments = 26;  // base x (2^26 - 1) slots: far beyond any loss rate
  // Segment k holds slots [base x (2^k - 1), base x (2^(k+1) - 1)).
  std::pair<int, std::uint64_t> locate(std::uint64_t i) const;
  std::uint32_t base_;
  std::array<std::atomic<std::atomic<std::uint32_t>*>, kSegments> segments_{};
  std::atomic<std::uint32_t> size_{0};
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
  std::atomic<std::uint32_t> refused{0};           // connections closed for the budget or a ban
  std::atomic<std::uint32_t> encrypted{0};         // connections over MSE/PE (either way)
  std::atomic<std::uint32_t> rc4{0};               // of those, RC4 for every byte
};

struct SwarmState {
  // Piece buffers come from `memory` (shared with the session's other
  // torrents); the pool may always hold `guaranteed` of them.
  // `wanted`: the pieces to fetch when only some files are selected
  // (core/file_selection.h); empty (or every piece): all of them. The others
  // are marked claimed from the start, so no peer ever fetches them.
  SwarmState(const Metainfo& m, MemoryBudget& memory, ConnectionLimits limits, std::size_t guaranteed = 4,
             Bitfield wanted = {});
  const Metainfo& meta;
  // Empty unless some pieces are not wanted. Fixed at construction.
  const Bitfield wanted;
  wire::PeerId our_id{};
  AtomicBitfield have;
  AtomicBitfield claimed;
  // Pieces that failed with blocks from several peers: fetched again from
  // one peer only (see pipeline/blame.h).
  AtomicBitfield single_source;
  PiecePicker picker;
  PiecePool pool;
  ActiveRegistry active;
  CompletionLog completed;
  PeerBook peers;
  SwarmCounters counters;
  PeerRoster roster;                   // connections and their budget; the choker's view
  std::atomic<bool> seeding{false};    // stay connected to serve once complete
  bool downloading = true;             // false: serve only, never ask for pieces
  std::string bind_ip;                 // outgoing connections from here (the listen address)
  // A piece that failed its hash when read back for a peer: no longer ours.
  std::function<void(PieceIndex, const Status&)> on_piece_lost;
  // A dial reached ourselves (the address is forgotten here already). May
  // be empty. Any peer task.
  std::function<void(const PeerAddress&)> on_ourselves;
  std::atomic<bool> stop{false};
  std::atomic<std::uint32_t> next_session{0};

  // A piece verified and written (true if it was not had before), or one
  // lost (true if it was had): `have` and what is still wanted change
  // together. Any thread.
  bool add_have(PieceIndex p);
  bool lose_have(PieceIndex p);
  // Whether the piece is one to fetch: wanted and not had.
  bool wants(PieceIndex p) const { return !have.test(p) && (wanted.size() == 0 || wanted.test(p)); }
  // Nothing more to fetch: every wanted piece is had (with every file
  // selected, every piece).
  bool done() const {
    return have.all() || (wanted.size() != 0 && wanted_missing_.load(std::memory_order_acquire) == 0);
  }
  // Bytes of the wanted pieces (the torrent's size when every piece is).
  std::int64_t wanted_bytes() const { return wanted_bytes_; }

  // Bans `ip` now: its connections are told to drop, its blocks leave every
  // partial piece, and it is never connected to or accepted again. True if
  // it was not banned before. Any thread.
  bool ban(const std::string& ip);

 private:
  std::atomic<std::uint32_t> wanted_missing_{0};  // wanted pieces not had (with a selection)
  std::int64_t wanted_bytes_ = 0;
};

// Where a torrent's connections hand their work, beside the state they
// share: the session's pipeline and this torrent's place in it, the upload
// cache and the upload limit. Made once everything it names exists (the
// target needs the committer, which needs the SwarmState), so no pointer in
// SwarmState is set after its construction.
struct SwarmIo {
  PiecePipeline& pipeline;
  PieceTarget& target;
  UploadCache* upload = nullptr;        // verified pieces for peers; null: we serve nothing
  RateLimiter* upload_limit = nullptr;  // all uploads together; null: unlimited
  // Asks the supervisor for a round now (the choker: a peer that became
  // interested while choked gets a free slot without waiting for the tick).
  std::function<void()> wake = {};
};

}  // namespace fluxo
