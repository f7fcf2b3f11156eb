// One torrent of a Session (session/torrent.cc; before it runs,
// session/torrent_startup.cc): its storage, resume data, swarm state (picker,
// partial pieces, peer book, roster), upload cache, committer, announcer and
// choker. The torrent borrows the session's shared parts (SessionParts):
// the peer arena, the hashing and writing pipeline, the memory budget for
// piece buffers, the connection budget, the peer id and the listener's port.
//
// Life: queued -> [fetching: a magnet link's metadata, session/metadata_fetch.h]
// -> checking (storage opened, resume data read or the data
// rechecked, on a thread of its own) -> running (downloading, seeding, or
// both) -> stopping (peers told to stop, announcer's `stopped` sent, its
// pieces drained from the pipeline, resume data saved) -> finished, with a
// result. The session's supervisor thread drives it through tick(); peer
// tasks and the listener's handshake tasks reach it only through its
// SwarmState and enter()/serve_incoming(). Events from any thread are queued
// and handed to `on_event` by tick(), on the supervisor thread; the last is
// `finished`, once result() is final.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/bitfield.h"
#include "core/file_selection.h"
#include "core/metainfo.h"
#include "core/status.h"
#include "core/tracker_response.h"
#include "net/peer_socket.h"
#include "net/tracker_client.h"
#include "net/wire.h"
#include "pipeline/peer_session.h"
#include "pipeline/verifier.h"
#include "session/session_parts.h"

namespace fluxo {

struct TorrentOptions {
  std::filesystem::path directory = ".";
  std::vector<PeerAddress> peers;  // added directly, before any tracker answers
  bool use_trackers = true;
  // This torrent's connections (at most half of them incoming while
  // downloading), and from one IP address.
  unsigned max_peers = 50;
  unsigned max_per_ip = 2;
  // Uploading: regular unchoke slots (plus one optimistic), memory for
  // verified pieces read back for peers.
  unsigned upload_slots = 4;
  std::size_t upload_cache = 32u << 20;
  // After completion: keep seeding until uploaded >= ratio x size or for
  // seed_time, whichever comes first (0 = not that limit; both 0 = stop at
  // completion). seed_forever: until interrupted (fluxo seed).
  double seed_ratio = 0;
  std::chrono::seconds seed_time{0};
  bool seed_forever = false;
  // download = false: never fetch anything, only serve what verifies on
  // disk (nothing is created or changed; the data is rechecked first unless
  // `verified` says what is there).
  bool download = true;
  std::optional<Bitfield> verified;
  // A magnet's torrent ends once its metadata is here (fluxo
  // fetch-metadata): nothing is checked, downloaded or saved in DIR.
  bool metadata_only = false;
  // Only these files (BEP 53 `so=`, `--select`; core/file_selection.h):
  // the pieces that hold their bytes are fetched, the other files are not
  // created. Empty: every file.
  FileRanges select_files;
  bool direct_io = true;                   // O_DIRECT for aligned writes (see storage/file_storage.h)
  bool preallocate = true;                 // reserve new files' blocks at the start (the same)
  std::chrono::seconds stall_timeout{60};  // no block from any peer for this long: give up
  TrackerOptions tracker;
  PeerConfig peer;
};

// Whether a torrent keeps seeding once its download completes.
inline bool seeds_after(const TorrentOptions& o) {
  return o.seed_forever || o.seed_ratio > 0 || o.seed_time.count() > 0;
}

struct DownloadEvent {
  enum class Kind {
    started, listening, progress, peer_banned, peer_error, tracker_ok, tracker_error,
    completed,   // every piece verified and written (before the tracker hears `stopped`); seeding may follow
    piece_lost,  // a verified piece failed its hash when read back for a peer
    resume,      // what was found on disk at the start (resume data, recheck), or a save failure
    checking,    // recheck progress: verified_bytes of total_bytes read
    fetching_metadata,  // a magnet's torrent starts asking peers for its metadata
    metadata,    // a magnet's metadata arrived and checked: `text` is the torrent's name
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
  std::uint32_t encrypted = 0;       // connections over MSE/PE, both ways
  std::uint32_t encrypted_rc4 = 0;   // of those, the ones with RC4 for every byte
  // Files with data: selected, and in all (equal unless --select or so=
  // left some out). progress, completed and finished.
  std::uint32_t files_selected = 0;
  std::uint32_t files_total = 0;
};

struct DownloadResult {
  Status status;  // ok only when every piece is verified and written (or, serving only, when stopped)
  DownloadEvent summary;
};

struct SwarmState;
struct SwarmIo;
class Announcer;
class Committer;
class UploadCache;
struct PieceTarget;
class FileStorage;
class ResumeKeeper;
class MetadataFetch;

class Torrent {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { queued, fetching, checking, running, stopping, finished };

  using EventFn = std::function<void(const Torrent&, const DownloadEvent&)>;
  Torrent(SessionParts& parts, Metainfo meta, TorrentOptions options, EventFn on_event);
  // A magnet link's torrent: `placeholder` has the info-hash, a name to
  // show, the trackers (and no pieces); the metadata is fetched from peers
  // when it starts, and replaces it once it checks.
  struct FromMagnet {};
  Torrent(SessionParts& parts, Metainfo placeholder, TorrentOptions options, EventFn on_event, FromMagnet);
  ~Torrent();
  Torrent(const Torrent&) = delete;
  Torrent& operator=(const Torrent&) = delete;

  // Supervisor thread: changes once, when a magnet's metadata arrives.
  const Metainfo& meta() const { return meta_; }
  bool has_metadata() const { return !needs_metadata_; }
  // A magnet's torrent: the .torrent file made of the metadata fetched
  // (empty before, and for torrents added from files).
  const std::string& metadata_file() const { return metadata_file_; }
  const TorrentOptions& options() const { return o_; }
  State state() const { return state_; }
  // Counts against the session's limit of active downloads: checking, or
  // running and not yet complete. A torrent that completed and seeds does
  // not.
  bool downloading() const;

  // Supervisor thread only.
  void start();  // queued -> fetching or checking
  // Advances the torrent: checking to running once the check is done,
  // dialling, choking, progress, resume saves, completion, seeding limits,
  // the stall timeout, and the steps of stopping.
  void tick(Clock::time_point now);
  // Stops (an interrupt: the result is `cancelled`, or `why`).
  void stop(Status why);
  // Valid once finished.
  const DownloadResult& result() const { return result_; }
  // Whether it ever got past checking (downloading or serving).
  bool ran() const { return ran_; }
  // Verified bytes and totals for the session's totals: total_bytes() is
  // what this run fetches (the selected files' pieces; the torrent's size
  // when every file is selected). Supervisor thread.
  std::int64_t verified_bytes() const;
  std::int64_t total_bytes() const { return wanted_bytes_ >= 0 ? wanted_bytes_ : meta_.total_size; }
  // Files selected and files with data (0 of 0 before the check).
  std::pair<std::size_t, std::size_t> files_selected() const;
  std::uint32_t peers_connected() const;

  // Any thread (the listener's handshake task): whether this torrent takes
  // an incoming connection now. If so, the caller must run serve_incoming()
  // next (on its own thread); the torrent does not finish stopping before
  // that returns. Call under the session's routing lock, so a torrent that
  // leaves the routing table takes no more.
  bool enter();
  // Runs the connection to its end (after enter() said yes), and gives its
  // connection slot back to the session.
  void serve_incoming(std::unique_ptr<PeerStream> stream, const wire::Handshake& theirs, Wire how);

 private:
  void begin_checking();
  void fetch_tick(Clock::time_point now);
  Status adopt_metadata();
  void check();  // the checking thread's body
  void check_body();
  Result<VerifyReport> recheck(const HashOptions& hash);
  Status begin_running();
  void run_tick(Clock::time_point now);
  void finish_stopping(Clock::time_point now);
  void finished();  // the result is final: tells on_event (a `finished` event)
  void dial(Clock::time_point now);
  void choke(Clock::time_point now);
  void report_progress(Clock::time_point now);
  void deliver_events();
  DownloadEvent summary(DownloadEvent::Kind kind) const;
  void push(DownloadEvent e);
  void task_done();

  SessionParts& parts_;
  Metainfo meta_;
  bool needs_metadata_ = false;
  std::string metadata_file_;
  TorrentOptions o_;
  EventFn on_event_;
  void emit(const DownloadEvent& e) { on_event_(*this, e); }
  State state_ = State::queued;
  bool ran_ = false;
  DownloadResult result_;
  Clock::time_point start_{};

  std::unique_ptr<MetadataFetch> fetch_;

  // Checking (its thread writes these, then sets checked_).
  std::thread checker_;
  std::atomic<bool> cancel_check_{false};
  std::atomic<bool> checked_{false};
  Status check_status_;
  std::unique_ptr<FileStorage> storage_;
  std::optional<Bitfield> initial_;
  // With only some files selected: one flag per file, the pieces wanted and
  // their bytes (empty, empty, -1 with every file). Set by begin_checking()
  // before the checking thread starts; read-only after.
  Status selection_error_;
  std::vector<bool> selected_;
  Bitfield wanted_;
  std::int64_t wanted_bytes_ = -1;
  std::atomic<std::int64_t> check_progress_{0};

  // Running.
  std::unique_ptr<SwarmState> swarm_;
  std::unique_ptr<UploadCache> upload_;
  std::unique_ptr<Committer> committer_;
  std::unique_ptr<PieceTarget> target_;
  std::unique_ptr<SwarmIo> io_;  // names target_, upload_: goes first
  std::unique_ptr<Announcer> announcer_;
  struct Choking;
  std::unique_ptr<Choking> choking_;
  std::optional<Clock::time_point> completed_at_;
  Clock::time_point last_save_{}, last_progress_{}, last_activity_{}, last_eviction_{}, last_check_event_{};
  std::int64_t last_bytes_ = 0;
  std::uint64_t last_uploaded_ = 0, last_payload_ = 0;
  std::unique_ptr<ResumeKeeper> resume_;  // downloads only
  bool final_save_started_ = false;
  std::size_t memory_cap_ = 0;

  // Peer tasks running (dialled and incoming), for stopping.
  std::mutex tasks_mu_;
  std::size_t tasks_ = 0;          // guarded by tasks_mu_
  bool accepting_ = false;         // guarded by tasks_mu_: enter() says yes

  std::mutex events_mu_;
  std::vector<DownloadEvent> events_;  // guarded by events_mu_
};

}  // namespace fluxo
