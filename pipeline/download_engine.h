// One torrent's download, wired to the design card: peer sessions run as
// blocking tasks on a task_arena of their own (sized to the peer limit, with
// oneTBB's global thread limit raised to match), trackers are announced from
// one more task on that arena, and complete pieces flow through the
// PiecePipeline (hashing on an arena sized to the cores). A listener task
// accepts peers onto the same arena; they are served verified pieces through
// the UploadCache, and the Choker (run by the supervisor every second)
// decides who is unchoked. run_download() blocks the calling thread, which
// only supervises: it starts sessions, runs the choker, reports progress and
// decides when the download (and any seeding) is over.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/metainfo.h"
#include "core/status.h"
#include "core/tracker_response.h"
#include "net/tracker_client.h"
#include "pipeline/peer_session.h"

namespace fluxo {

struct DownloadOptions {
  std::filesystem::path directory = ".";
  std::vector<PeerAddress> peers;     // added directly, before any tracker answers
  bool use_trackers = true;
  // Connections in all (at most half of them incoming while downloading),
  // and from one IP address.
  unsigned max_peers = 50;
  unsigned max_per_ip = 2;
  // Incoming connections: `port` (the next free one if taken), announced to
  // trackers. listen_address "" is every IPv4 address; a specific one is also
  // where outgoing connections and plain-HTTP announces come from.
  bool listen = true;
  std::string listen_address;
  std::uint16_t port = 6881;
  // Uploading: regular unchoke slots (plus one optimistic), memory for
  // verified pieces read back for peers.
  unsigned upload_slots = 4;
  double upload_limit = 0;  // bytes per second for all peers together; 0 = none
  std::size_t upload_cache = 32u << 20;
  // After completion: keep seeding until uploaded >= ratio x size or for
  // seed_time, whichever comes first (0 = not that limit; both 0 = stop at
  // completion). seed_forever: until interrupted (fluxo seed).
  double seed_ratio = 0;
  std::chrono::seconds seed_time{0};
  bool seed_forever = false;
  // Pieces already verified on disk (fluxo seed). download = false: never
  // fetch the rest, only serve.
  std::optional<Bitfield> verified;
  bool download = true;
  std::size_t max_memory = 64u << 20;  // piece buffers in flight (at least 4 pieces are used)
  unsigned hash_threads = 0;           // 0: one per core
  bool direct_io = true;               // O_DIRECT for aligned writes (see storage/file_storage.h)
  std::chrono::seconds stall_timeout{60};  // no peer at all for this long: give up
  std::chrono::milliseconds progress_interval{1000};
  TrackerOptions tracker;
  SessionConfig session;
};

struct DownloadEvent {
  enum class Kind {
    started, listening, progress, peer_banned, peer_error, tracker_ok, tracker_error,
    completed,   // every piece verified and written; seeding may follow
    piece_lost,  // a verified piece failed its hash when read back for a peer
    resume,      // what was found on disk at the start (resume data, recheck), or a save failure
    finished
  };
  Kind kind = Kind::progress;
  std::string text;  // peer address, tracker URL and message, ...
  // progress and finished:
  std::int64_t verified_bytes = 0;
  std::int64_t total_bytes = 0;
  double seconds = 0;
  double rate = 0;  // bytes per second over the last interval (average for finished)
  std::uint32_t peers_connected = 0;
  std::size_t peers_known = 0;
  std::uint32_t peers_used = 0;
  std::uint32_t hash_failures = 0;
  std::uint64_t wasted_bytes = 0;
  std::uint32_t snubbed = 0;         // times a peer stopped sending and lost its requests
  std::size_t banned = 0;
  std::size_t memory_cap = 0;        // bytes of piece buffers available
  std::size_t memory_peak = 0;       // bytes of piece buffers ever in use at once
  std::uint64_t write_calls = 0;
  std::uint64_t uploaded_bytes = 0;
  double upload_rate = 0;            // progress: over the last interval
  std::uint32_t incoming = 0;        // connections accepted
  std::uint32_t refused = 0;         // closed for a ban, the budget or a failed probation
  std::uint32_t evicted = 0;         // useless peers dropped to make room
};

struct DownloadResult {
  Status status;  // ok only when every piece is verified and written
  DownloadEvent summary;
};

// Downloads, then seeds if asked to (or only seeds: options.download false).
// `interrupt` is polled; setting it stops cleanly (the result's status is
// then ErrorCode::cancelled). `on_event` is called from the calling thread
// only.
// The caller holds a ThreadBudget (pipeline/thread_budget.h) for at least
// options.max_peers, created before anything used oneTBB.
DownloadResult run_download(const Metainfo& meta, const DownloadOptions& options,
                            const std::function<void(const DownloadEvent&)>& on_event,
                            const std::atomic<bool>& interrupt);

// "-FX0100-" followed by 12 random characters (BEP 20).
wire::PeerId make_peer_id();

}  // namespace fluxo
