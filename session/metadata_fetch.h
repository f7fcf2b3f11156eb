// The "fetching metadata" phase of a torrent added from a magnet link: its
// trackers announced (on a thread of its own, as the torrent's Announcer
// will once it runs) and its known peers dialled, a few connections at
// once on the session's peer arena and within its connection budget, each
// fetching ut_metadata pieces into one MetadataAssembler
// (pipeline/metadata_peer.h) until the info dictionary is whole and
// matches the info-hash.
//
// The torrent polls it from the supervisor thread: tick() dials, done()
// says when the metadata is there (or the fetch has stopped and its tasks
// ended), info() hands the bytes over. Events (tracker answers, dropped
// peers) go to `push` from any thread. The peers it learned are handed to
// the torrent for its download (peers()).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/metadata_assembler.h"
#include "core/tracker_response.h"
#include "net/tracker_client.h"
#include "pipeline/metadata_peer.h"
#include "pipeline/peer_book.h"
#include "session/session_parts.h"

namespace fluxo {

struct DownloadEvent;

struct MetadataFetchOptions {
  InfoHash info_hash;
  std::vector<std::vector<std::string>> trackers;  // tiers
  std::vector<PeerAddress> peers;                  // x.pe and --peer
  bool use_trackers = true;
  TrackerOptions tracker;
  unsigned max_connections = 8;
  std::int64_t max_size = std::int64_t{64} << 20;
  MetadataPeerConfig peer;  // info_hash, our_id, client and port are set by the fetch
};

class MetadataFetch {
 public:
  using Clock = std::chrono::steady_clock;
  MetadataFetch(SessionParts& parts, MetadataFetchOptions options, std::function<void(DownloadEvent)> push);
  // Stops and waits for its connections and its announcer.
  ~MetadataFetch();
  MetadataFetch(const MetadataFetch&) = delete;
  MetadataFetch& operator=(const MetadataFetch&) = delete;

  // Supervisor thread: dials peers while connections are fewer than allowed.
  void tick(Clock::time_point now);
  // Ends the connections (and the announcer) soon.
  void stop();
  // The metadata is whole, or stop() was called; either way every
  // connection has ended.
  bool done() const;
  bool complete() const { return assembler_.complete(); }
  // The info dictionary, once complete().
  std::string info() const { return assembler_.info(); }
  // Every peer address learned (for the download that follows).
  std::vector<PeerAddress> peers() const;
  std::uint32_t connected() const { return connected_.load(); }
  // Whether any tracker answered the last round (for the stall message).
  bool tracker_working() const { return tracker_ok_.load(); }
  bool announcing() const { return announcer_.joinable(); }
  // When a peer last sent a piece of metadata that was taken (or the fetch
  // began): peers that connect and send nothing useful do not count.
  Clock::time_point last_progress() const;

 private:
  void announce_loop();
  void connection(PeerAddress addr, MetadataAssembler::PeerId id);

  SessionParts& parts_;
  MetadataFetchOptions o_;
  std::function<void(DownloadEvent)> push_;
  MetadataAssembler assembler_;
  PeerBook book_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint32_t> connected_{0};
  std::atomic<bool> tracker_ok_{false};
  MetadataAssembler::PeerId next_id_ = 0;  // supervisor thread
  std::uint64_t accepted_seen_ = 0;        // supervisor thread

  mutable std::mutex mu_;
  std::condition_variable cv_;
  unsigned tasks_ = 0;                 // guarded by mu_
  Clock::time_point last_progress_{};  // guarded by mu_
  std::vector<PeerAddress> learned_;   // guarded by mu_
  std::thread announcer_;
};

}  // namespace fluxo
