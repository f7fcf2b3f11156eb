#include "session/metadata_fetch.h"

#include <algorithm>
#include <random>

#include "net/peer_socket.h"
#include "session/torrent.h"

namespace fluxo {
namespace {

// What we tell trackers is left to fetch before we know the size: not 0,
// or the tracker takes us for a seeder and may list us no seeders.
constexpr std::int64_t kLeftUnknown = 16384;
constexpr std::chrono::seconds kRetryNoPeers{30};
constexpr std::size_t kMaxLearned = 4000;  // peer addresses kept for the download

}  // namespace

MetadataFetch::MetadataFetch(SessionParts& parts, MetadataFetchOptions options, std::function<void(DownloadEvent)> push)
    : parts_(parts), o_(std::move(options)), push_(std::move(push)), assembler_(o_.info_hash, o_.max_size) {
  o_.peer.info_hash = o_.info_hash;
  o_.peer.our_id = parts_.peer_id;
  o_.peer.listen_port = parts_.port;
  if (parts_.port != 0 && !parts_.bind_ip.empty()) book_.forget({parts_.bind_ip, parts_.port});
  for (const PeerAddress& a : parts_.ourselves.all()) book_.forget(a);
  book_.add(o_.peers);
  {
    std::lock_guard lock(mu_);
    learned_ = o_.peers;
    last_progress_ = Clock::now();
  }
  bool any_tracker = false;
  for (const auto& tier : o_.trackers) any_tracker = any_tracker || !tier.empty();
  if (o_.use_trackers && any_tracker && parts_.announce) announcer_ = std::thread([this] { announce_loop(); });
}

MetadataFetch::~MetadataFetch() {
  stop();
  if (announcer_.joinable()) announcer_.join();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return tasks_ == 0; });
}

void MetadataFetch::stop() {
  {
    std::lock_guard lock(mu_);  // a waiter sees stop_ or gets the notification
    stop_.store(true);
  }
  cv_.notify_all();
}

bool MetadataFetch::done() const {
  if (!stop_.load() && !assembler_.complete()) return false;
  std::lock_guard lock(mu_);
  return tasks_ == 0;
}

std::vector<PeerAddress> MetadataFetch::peers() const {
  std::lock_guard lock(mu_);
  return learned_;
}

MetadataFetch::Clock::time_point MetadataFetch::last_progress() const {
  std::lock_guard lock(mu_);
  return last_progress_;
}

void MetadataFetch::tick(Clock::time_point now) {
  if (const auto n = assembler_.accepted(); n != accepted_seen_) {
    accepted_seen_ = n;
    std::lock_guard lock(mu_);
    last_progress_ = now;
  }
  if (stop_.load() || assembler_.complete()) return;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (tasks_ >= o_.max_connections) return;
    }
    if (parts_.slots.in_use() >= parts_.slots.limit()) return;
    auto cand = book_.next_candidate(now);
    if (!cand) return;
    if (!parts_.slots.try_take()) {
      book_.disconnected(*cand, false, now);
      return;
    }
    {
      std::lock_guard lock(mu_);
      ++tasks_;
    }
    parts_.spawn([this, addr = *cand, id = next_id_++] {
      connection(addr, id);
      parts_.slots.give_back();
      std::lock_guard lock(mu_);  // notified under the lock: the fetch may go right after
      --tasks_;
      cv_.notify_all();
    });
  }
}

void MetadataFetch::connection(PeerAddress addr, MetadataAssembler::PeerId id) {
  const StopFlags flags{&stop_, nullptr};
  const DialOptions dial{.connect_timeout = std::chrono::milliseconds(5000),
                         .handshake_timeout = o_.peer.handshake_timeout,
                         .bind_ip = parts_.bind_ip,
                         .encryption = o_.peer.encryption};
  auto d = dial_peer(addr, o_.info_hash, metadata_handshake(o_.peer), dial, flags);
  Status st = d.status();
  if (d) {
    connected_.fetch_add(1);
    st = fetch_metadata_over(*d->stream, o_.peer, assembler_, id, flags, d->handshake_sent);
    connected_.fetch_sub(1);
  }
  if (assembler_.complete()) {
    // The others need not finish what they started: connections still
    // shaking hands end at their next poll, the announcer at once.
    stop();
    if (parts_.wake) parts_.wake();
  }
  const bool failed = !st && st.code() != ErrorCode::cancelled;
  if (failed && !stop_.load()) push_({DownloadEvent::Kind::peer_error, st.message()});
  // A peer that lied about the metadata is not tried again; one that just
  // had nothing for us may be, later.
  if (assembler_.condemned(id)) {
    book_.forget(addr);
  } else {
    book_.disconnected(addr, failed, Clock::now());
  }
}

void MetadataFetch::announce_loop() {
  AnnounceRequest req;
  req.info_hash = o_.info_hash;
  req.peer_id = parts_.peer_id;
  req.port = parts_.port;
  req.left = kLeftUnknown;
  req.key = std::random_device{}();
  req.event = AnnounceEvent::started;
  TrackerOptions topt = o_.tracker;
  topt.source_address = parts_.bind_ip;
  auto tiers = o_.trackers;
  std::chrono::seconds backoff{15};
  while (!stop_.load() && !assembler_.complete()) {
    // Every tier each round (the first tracker of each that answers): a
    // magnet's trackers are usually one per tier, and the metadata is
    // wanted from as many peers as can be found.
    bool answered = false;
    std::size_t added = 0;
    std::int64_t next_interval = 0;
    for (auto& tier : tiers) {
      for (std::size_t i = 0; i < tier.size() && !stop_.load(); ++i) {
        auto r = parts_.announce(tier[i], req, topt, &stop_);
        if (!r) {
          if (!stop_.load()) push_({DownloadEvent::Kind::tracker_error, r.status().message()});
          continue;
        }
        std::rotate(tier.begin(), tier.begin() + static_cast<std::ptrdiff_t>(i),
                    tier.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        answered = true;
        const std::size_t fresh = book_.add(r->peers);
        added += fresh;
        {
          std::lock_guard lock(mu_);
          for (const auto& p : r->peers) {
            if (learned_.size() < kMaxLearned && std::find(learned_.begin(), learned_.end(), p) == learned_.end()) {
              learned_.push_back(p);
            }
          }
          // New peers to ask: the stall clock starts again.
          if (fresh) last_progress_ = Clock::now();
        }
        DownloadEvent ev{DownloadEvent::Kind::tracker_ok, tier.front()};
        ev.peers_known = fresh;
        push_(std::move(ev));
        if (fresh && parts_.wake) parts_.wake();
        const std::int64_t wants = fresh ? std::max<std::int64_t>(60, r->interval)
                                         : std::max<std::int64_t>(kRetryNoPeers.count(), r->min_interval);
        next_interval = next_interval ? std::min(next_interval, wants) : wants;
        break;
      }
    }
    tracker_ok_.store(answered);
    std::chrono::seconds wait = backoff;
    if (answered) {
      req.event = AnnounceEvent::none;
      backoff = std::chrono::seconds(15);
      wait = std::chrono::seconds(next_interval);
    } else {
      backoff = std::min<std::chrono::seconds>(backoff * 2, std::chrono::seconds(300));
    }
    (void)added;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [this] { return stop_.load() || assembler_.complete(); });
  }
}

}  // namespace fluxo
