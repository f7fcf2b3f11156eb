// One Session per process: the owner of everything torrents share.
//
//   Session --owns--> Torrent (session/torrent.h), many
//      |                 '--> SwarmState, storage, announcer, choker, resume
//      |--> the thread budget (decided in the constructor, before oneTBB is
//      |    used) and its arena for blocking tasks: one per connection, any
//      |    torrent, run by TaskRunners (session/task_runners.h)
//      |--> the listener: reads each incoming handshake and routes the
//      |    connection by info-hash to its torrent (unknown: closed)
//      |--> the PiecePipeline: hashing and ordered writes for every torrent
//      |--> the MemoryBudget for piece buffers, the connection budget, the
//           upload limit and the peer id
//
// run() is the supervisor: on the calling thread it starts queued torrents
// (at most `max_active` downloading at once, a few checks at a time and
// one recheck, in the order they were added), ticks every torrent (dialling, choking, progress,
// completion), shares the connection budget among the running torrents, and
// returns when every torrent has finished, or, after an interrupt, once each
// has stopped and saved its resume data.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/magnet.h"
#include "core/metainfo.h"
#include "core/status.h"
#include "net/listener.h"
#include "net/mse_stream.h"
#include "net/udp_tracker.h"
#include "pipeline/thread_budget.h"
#include "session/session_parts.h"
#include "session/task_runners.h"
#include "session/torrent.h"

namespace fluxo {

struct SessionOptions {
  unsigned max_peers = 200;  // connections in all, every torrent together
  unsigned max_active = 8;   // torrents downloading (or checking) at once
  // Incoming connections: `port` (the next free one if taken), announced to
  // trackers. listen_address "" is every IPv4 address; a specific one is
  // also where outgoing connections and plain-HTTP announces come from.
  bool listen = true;
  std::string listen_address;
  std::uint16_t port = 6881;
  double upload_limit = 0;             // bytes per second, all peers together; 0 = none
  std::size_t max_memory = 64u << 20;  // piece buffers in flight, every torrent together
  unsigned hash_threads = 0;           // 0: one per core
  std::chrono::milliseconds progress_interval{1000};
  std::chrono::milliseconds handshake_timeout{10000};  // an incoming peer's handshake
  unsigned max_handshakes = 32;  // incoming connections reading their handshake at once (more wait
                                 // in the backlog); one address may hold half of them while they
                                 // are silent; when all are taken, the one read longest (past
                                 // handshake_grace) goes
  std::chrono::milliseconds handshake_grace{2000};
  // Incoming MSE/PE (net/mse_stream.h): off refuses it, require refuses
  // plain handshakes.
  Encryption encryption = Encryption::prefer;
  // UDP trackers (BEP 15): an unanswered request is sent again after this,
  // doubling each time, within the announce's deadline.
  std::chrono::milliseconds udp_first_wait{15000};
};

struct SessionCounters {
  std::atomic<std::uint32_t> accepted{0};      // incoming connections
  std::atomic<std::uint32_t> refused{0};       // closed before routing: budget, bad handshake
  std::atomic<std::uint32_t> unknown_hash{0};  // a handshake for no torrent of ours
  std::atomic<std::uint32_t> encrypted{0};     // incoming handshakes over MSE/PE
};

// "-FX0100-" followed by 12 random characters (BEP 20).
wire::PeerId make_peer_id();

class Session {
 public:
  using EventFn = std::function<void(const Torrent* /* null: the session's own */, const DownloadEvent&)>;

  // Sets the process's thread budget: construct it before anything uses
  // oneTBB, and only one per process.
  explicit Session(SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Adds a torrent at the end of the queue. Refused (invalid_argument) when
  // a torrent with the same info-hash is in the session already, or one
  // with the same name in the same directory.
  Result<Torrent*> add(Metainfo meta, TorrentOptions options);
  // Adds a magnet link's torrent: from the metadata saved by an earlier run
  // (DIR/.fluxo/<info-hash>.torrent) if there is one, else one that fetches
  // it from peers first (its trackers, its x.pe peers and options.peers).
  // Refused like add(), and for a magnet that selects files (so=): not
  // supported yet.
  Result<Torrent*> add_magnet(const Magnet& magnet, TorrentOptions options);

  // Runs every torrent to its end (see above). `on_event` is called on this
  // thread only. Returns an error only when the session itself could not
  // run; each torrent's outcome is its result().
  Status run(const EventFn& on_event, const std::atomic<bool>& interrupt);

  const std::vector<std::unique_ptr<Torrent>>& torrents() const { return torrents_; }
  const SessionOptions& options() const { return o_; }
  const SessionCounters& counters() const { return counters_; }
  std::uint16_t port() const { return parts_.port; }
  const MemoryBudget& memory() const { return memory_; }

 private:
  // Called by each torrent as it begins to run (on the supervisor thread):
  // the first opens the listener, so peers are accepted only once there is
  // a torrent to serve them, and the port announced is the one we have. A
  // port that cannot be had fails the torrents that only serve; the others
  // go on without listening.
  Status go_live(bool serve_only);
  Status open_listener();
  // Whether `where` (directory / name) is free for torrent `who` (the
  // torrents that have their metadata are asked; lock held by the caller).
  Status path_free(const void* who, const std::filesystem::path& where, const InfoHash& hash) const;
  // A handshake to be read: its id, or nullopt when its address holds its
  // share of the handshakes being read already.
  std::optional<std::uint64_t> begin_handshake(const std::string& ip);
  // The socket reading handshake `id`, which eviction may interrupt until
  // end_handshake(id); the peer's grace starts now (time spent queued for
  // a runner is ours, not the peer's).
  void watch_handshake(std::uint64_t id, PeerSocket& socket);
  // Handshake `id` has sent its first bytes: it no longer counts against
  // its address's share of the silent ones.
  void heard_from(std::uint64_t id);
  void end_handshake(std::uint64_t id);
  // Room for one more handshake: waits up to kPoll, making room first by
  // interrupting the oldest handshake past its grace when all are taken.
  // False without room, or when stopping.
  bool await_handshake_room();
  // With the connection budget spent: interrupts the oldest handshake once
  // past its grace (waiting for that, up to the grace) and takes its slot
  // once freed. False if no handshake holds a slot, or no slot came.
  bool evict_for_slot();
  void accept_loop();
  // Sets stop_ and wakes the accept loop (whether waiting for handshake
  // room or for a connection).
  void stop_accepting();
  void route(std::uint64_t handshake, std::unique_ptr<PeerSocket> socket);
  void start_queued();
  void wake();
  void emit(const Torrent* t, const DownloadEvent& e);

  SessionOptions o_;
  ThreadBudget budget_;  // first: before anything below uses oneTBB
  MemoryBudget memory_;
  PiecePipeline pipeline_;
  ConnectionSlots slots_;
  std::optional<RateLimiter> limiter_;
  SessionParts parts_;
  SessionCounters counters_;
  TaskRunners runners_;           // connections (and the accept loop) on the budget's arena
  TaskRunners prefetch_runners_;  // upload caches' piece loads, every torrent's, there too
  std::optional<Listener> listener_;
  bool listener_tried_ = false;
  Status listen_status_;
  std::atomic<bool> stop_{false};
  struct PendingHandshake {
    std::string ip;
    std::chrono::steady_clock::time_point since;  // when reading began
    PeerSocket* socket = nullptr;                  // once watched
    bool evicted = false;
    bool spoke = false;  // its first bytes came
  };
  std::mutex pending_mu_;
  std::condition_variable handshake_cv_;
  // Guarded by pending_mu_: handshakes being read, oldest first (ids rise).
  std::map<std::uint64_t, PendingHandshake> pending_;
  std::uint64_t next_handshake_ = 0;
  PendingHandshake* stalest_handshake();  // read longest, not yet evicted; with pending_mu_ held
  // The session's own tasks (the accept loop, handshakes not yet routed).
  std::mutex tasks_mu_;
  std::condition_variable tasks_cv_;
  std::size_t tasks_ = 0;  // guarded by tasks_mu_
  const EventFn* on_event_ = nullptr;  // during run()
  std::mutex events_mu_;
  std::vector<DownloadEvent> events_;  // the session's own, guarded by events_mu_
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool woken_ = false;  // guarded by wake_mu_
  std::mutex routes_mu_;
  std::mutex udp_mu_;
  std::unique_ptr<UdpTrackerClient> udp_;  // on the first udp:// announce; guarded by udp_mu_ (creation)
  std::map<InfoHash, Torrent*> routes_;  // guarded by routes_mu_
  std::map<Sha1Digest, InfoHash> by_req2_;  // HASH('req2', info-hash) of each; guarded by routes_mu_
  std::vector<std::unique_ptr<Torrent>> torrents_;  // last: destroyed first
};

}  // namespace fluxo
