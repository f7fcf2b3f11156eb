#include "session/session.h"

#include <algorithm>
#include <random>
#include <thread>

#include "core/extension_handshake.h"
#include "pipeline/peer_book.h"
#include "storage/resume_file.h"

namespace fluxo {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kTick{50};
constexpr std::chrono::milliseconds kPoll{200};
// Torrents checking at once (a thread each; most find resume data or
// nothing on disk and are done at once, rechecks take turns).
constexpr unsigned kMaxChecking = 8;
constexpr unsigned kMinShare = 4;  // connections a torrent may always dial, whatever its share
// Slots beyond the budget for incoming connections: their handshakes and
// the torrents' probation (PeerRoster's default allows 8 at once).
constexpr unsigned kSpareSlots = 16;
// Threads reading pieces ahead for uploads, every torrent together.
constexpr unsigned kPrefetchRunners = 4;

}  // namespace

wire::PeerId make_peer_id() {
  wire::PeerId id{};
  const char prefix[] = "-FX0100-";
  std::copy(prefix, prefix + 8, id.begin());
  static constexpr char kChars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::random_device rd;
  for (std::size_t i = 8; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(kChars[rd() % 62]);
  return id;
}

Session::Session(SessionOptions options)
    : o_(std::move(options)),
      // Blocking tasks: a slot per connection (spares included), the accept
      // loop, and a few for tasks that gave their slot back and have not
      // returned yet; and the prefetch runners.
      budget_(std::max(1u, o_.max_peers) + kSpareSlots + 1, o_.hash_threads,
              std::max(1u, o_.max_peers) + kSpareSlots + 8 + kPrefetchRunners),
      memory_(o_.max_memory),
      pipeline_(o_.hash_threads ? o_.hash_threads : std::max(1u, std::thread::hardware_concurrency())),
      slots_(std::max(1u, o_.max_peers), kSpareSlots),
      parts_{.memory = memory_, .pipeline = pipeline_, .slots = slots_, .upload_limit = nullptr,
             .peer_id = make_peer_id()},
      runners_(budget_, slots_.capacity() + 8),
      prefetch_runners_(budget_, kPrefetchRunners) {
  if (o_.upload_limit > 0) {
    limiter_.emplace(o_.upload_limit);
    parts_.upload_limit = &*limiter_;
  }
  parts_.hash_threads = o_.hash_threads;
  parts_.check_memory = o_.max_memory;
  parts_.port = o_.port;
  parts_.progress_interval = o_.progress_interval;
  parts_.spawn = [this](std::function<void()> task) { runners_.run(std::move(task)); };
  parts_.prefetch = [this](std::function<void()> task) { prefetch_runners_.run(std::move(task)); };
  parts_.go_live = [this](bool serve_only) { return go_live(serve_only); };
  parts_.wake = [this] { wake(); };
  parts_.claim_path = [this](const void* who, const std::filesystem::path& where) {
    std::lock_guard lock(routes_mu_);
    return path_free(who, where, static_cast<const Torrent*>(who)->meta().info_hash);
  };
  parts_.announce = [this](const std::string& url, const AnnounceRequest& req, const TrackerOptions& o,
                           const std::atomic<bool>* stop) -> Result<AnnounceResponse> {
    if (url.compare(0, 6, "udp://") != 0) return fluxo::announce(url, req, o, stop);
    UdpTrackerClient* udp = nullptr;
    {
      std::lock_guard lock(udp_mu_);
      // Made on first use: by then the listener is open and bind_ip final.
      if (!udp_) udp_ = std::make_unique<UdpTrackerClient>(UdpTrackerOptions{o_.udp_first_wait, 8, parts_.bind_ip});
      udp = udp_.get();
    }
    return udp->announce(url, req, o, stop);
  };
}

void Session::stop_accepting() {
  {
    std::lock_guard lock(pending_mu_);  // a waiter sees stop_ or gets the notification
    stop_.store(true);
  }
  handshake_cv_.notify_all();
  if (listener_) listener_->interrupt();
}

Session::~Session() {
  stop_accepting();
  for (auto& t : torrents_) t->stop(Status(ErrorCode::cancelled, "session ends"));
  std::unique_lock lock(tasks_mu_);
  tasks_cv_.wait(lock, [this] { return tasks_ == 0; });
  // torrents_ go first (declared last): each waits for its own tasks.
}

Status Session::path_free(const void* who, const std::filesystem::path& where, const InfoHash& hash) const {
  // Two torrents of one name in one directory would write the same files:
  // the second would take the first one's data for a damaged copy of its
  // own and overwrite it.
  const auto normal = where.lexically_normal();
  for (const auto& t : torrents_) {
    if (t.get() == who || !t->has_metadata()) continue;
    if ((t->options().directory / t->meta().name).lexically_normal() == normal) {
      return Status(ErrorCode::invalid_argument, normal.string() + " is where " + t->meta().info_hash.hex() +
                                                     " of this run goes; give " + hash.hex() + " another directory");
    }
  }
  return Status::ok();
}

Result<Torrent*> Session::add(Metainfo meta, TorrentOptions options) {
  std::lock_guard lock(routes_mu_);
  if (routes_.count(meta.info_hash)) {
    return Status(ErrorCode::invalid_argument, meta.name + " (" + meta.info_hash.hex() + ") is in this session already");
  }
  if (Status s = path_free(nullptr, options.directory / meta.name, meta.info_hash); !s) return s;
  auto t = std::make_unique<Torrent>(parts_, std::move(meta), std::move(options),
                                     [this](const Torrent& from, const DownloadEvent& e) { emit(&from, e); });
  Torrent* raw = t.get();
  routes_.emplace(raw->meta().info_hash, raw);
  by_req2_.emplace(mse::req2(raw->meta().info_hash), raw->meta().info_hash);
  torrents_.push_back(std::move(t));
  return raw;
}

Result<Torrent*> Session::add_magnet(const Magnet& magnet, TorrentOptions options) {
  const std::string hex = magnet.info_hash.hex();
  if (!magnet.select_only.empty() && options.select_files.empty()) options.select_files = magnet.select_only;
  std::vector<std::vector<std::string>> tiers;
  for (const auto& tr : magnet.trackers) tiers.push_back({tr});  // each its own tier, tried in order
  for (const auto& pe : magnet.peers) {
    PeerAddress a;
    if (parse_peer_address(pe, a) && std::find(options.peers.begin(), options.peers.end(), a) == options.peers.end()) {
      options.peers.push_back(a);
    }
  }
  // Fetched by an earlier run: no need to ask peers again. (A saved file
  // that is damaged or for another hash is ignored: fetched again.)
  auto saved = options.metadata_only ? Result<std::string>(Status(ErrorCode::not_found, "not looked for"))
                                     : load_state_file(options.directory, hex + ".torrent", kMaxMetadataSize + (1u << 20), "a saved torrent");
  if (saved) {
    auto meta = parse_metainfo(*saved);
    if (meta && meta->info_hash == magnet.info_hash) {
      if (meta->trackers.empty()) meta->trackers = tiers;
      return add(std::move(*meta), std::move(options));
    }
  }
  Metainfo placeholder;
  placeholder.info_hash = magnet.info_hash;
  placeholder.name = magnet.display_name.empty() ? hex : magnet.display_name;
  placeholder.trackers = std::move(tiers);
  std::lock_guard lock(routes_mu_);
  if (routes_.count(magnet.info_hash)) {
    return Status(ErrorCode::invalid_argument, placeholder.name + " (" + hex + ") is in this session already");
  }
  auto t = std::make_unique<Torrent>(parts_, std::move(placeholder), std::move(options),
                                     [this](const Torrent& from, const DownloadEvent& e) { emit(&from, e); },
                                     Torrent::FromMagnet{});
  Torrent* raw = t.get();
  routes_.emplace(magnet.info_hash, raw);
  by_req2_.emplace(mse::req2(magnet.info_hash), magnet.info_hash);
  torrents_.push_back(std::move(t));
  return raw;
}

void Session::emit(const Torrent* t, const DownloadEvent& e) {
  if (on_event_ && *on_event_) (*on_event_)(t, e);
}

Status Session::open_listener() {
  auto l = Listener::open(o_.listen_address, o_.port, /*try_next=*/true);
  if (!l) {
    parts_.port = 0;
    return l.status();
  }
  listener_.emplace(std::move(*l));
  parts_.port = listener_->port();
  const std::string& a = listener_->address();
  if (a != "0.0.0.0" && a != "::") parts_.bind_ip = a;
  return Status::ok();
}

Status Session::go_live(bool serve_only) {
  if (!o_.listen) return Status::ok();
  if (!listener_tried_) {
    listener_tried_ = true;
    listen_status_ = open_listener();
    std::lock_guard lock(events_mu_);
    if (!listen_status_) {
      if (!serve_only) {
        events_.push_back({DownloadEvent::Kind::peer_error, listen_status_.message() + " (downloading without listening)"});
      }
    } else {
      DownloadEvent e;
      e.kind = DownloadEvent::Kind::listening;
      e.text = listener_->address() + ":" + std::to_string(listener_->port());
      events_.push_back(std::move(e));
      {
        std::lock_guard tasks(tasks_mu_);
        ++tasks_;
      }
      runners_.run([this] {
        accept_loop();
        std::lock_guard tasks(tasks_mu_);  // notified under the lock: the session may go right after
        --tasks_;
        tasks_cv_.notify_all();
      });
    }
  }
  return serve_only ? listen_status_ : Status::ok();
}

// One address may hold half of the silent handshakes at once: a silent
// flood from one host leaves the other half to everyone else. Only
// handshakes being read count, not those still queued for a runner, and
// only until their first bytes arrive: an honest client opening
// connections for many torrents at once is let in even when its
// handshakes queue on a loaded machine, or take several round trips
// (MSE/PE: a key exchange, then the BitTorrent handshake). A flood that
// speaks and then stalls, from one address or many, is met by eviction
// (await_handshake_room): the one read longest goes once past its grace.
std::optional<std::uint64_t> Session::begin_handshake(const std::string& ip) {
  std::lock_guard lock(pending_mu_);
  const auto now = Clock::now();
  const auto reading = std::count_if(pending_.begin(), pending_.end(), [&](const auto& e) {
    const PendingHandshake& p = e.second;
    return p.socket && !p.evicted && !p.spoke && p.ip == ip;
  });
  if (static_cast<unsigned>(reading) >= std::max(2u, o_.max_handshakes / 2)) return std::nullopt;
  const std::uint64_t id = next_handshake_++;
  pending_.emplace(id, PendingHandshake{ip, now});
  return id;
}

void Session::watch_handshake(std::uint64_t id, PeerSocket& socket) {
  std::lock_guard lock(pending_mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  it->second.socket = &socket;
  it->second.since = Clock::now();
}

void Session::heard_from(std::uint64_t id) {
  std::lock_guard lock(pending_mu_);
  auto it = pending_.find(id);
  if (it != pending_.end()) it->second.spoke = true;
}

void Session::end_handshake(std::uint64_t id) {
  {
    std::lock_guard lock(pending_mu_);  // an eviction's interrupt() is done before the socket can go
    if (pending_.erase(id) == 0) return;
  }
  handshake_cv_.notify_one();
}

Session::PendingHandshake* Session::stalest_handshake() {
  PendingHandshake* stalest = nullptr;
  for (auto& [id, p] : pending_) {
    if (!p.evicted && p.socket && (!stalest || p.since < stalest->since)) stalest = &p;
  }
  return stalest;
}

// When every handshake is taken, or the connection budget is, the
// connection silent longest goes once past its grace: a flood of
// connections that never speak (from any number of addresses) delays an
// honest peer by the grace at most, not by the handshake timeout. Honest
// peers send their handshake at once.
bool Session::await_handshake_room() {
  std::unique_lock lock(pending_mu_);
  if (pending_.size() >= o_.max_handshakes) {
    PendingHandshake* p = stalest_handshake();
    if (p && Clock::now() - p->since >= o_.handshake_grace) {
      p->evicted = true;
      p->socket->interrupt();
    }
  }
  return handshake_cv_.wait_for(lock, kPoll, [this] { return pending_.size() < o_.max_handshakes || stop_.load(); }) &&
         !stop_.load();
}

bool Session::evict_for_slot() {
  std::unique_lock lock(pending_mu_);
  bool got = false;
  auto taken = [&] { return (got = slots_.try_take_spare()) || stop_.load(); };
  const auto give_up = Clock::now() + o_.handshake_grace + kPoll;
  while (!got && !stop_.load() && Clock::now() < give_up) {
    PendingHandshake* p = stalest_handshake();
    if (!p) {
      // None to evict: wait only for those already evicted to end.
      bool ending = std::any_of(pending_.begin(), pending_.end(), [](const auto& e) { return e.second.evicted; });
      if (!ending) return false;  // the budget is held by peers past their handshake
      handshake_cv_.wait_for(lock, kPoll, taken);
      continue;
    }
    const auto due = p->since + o_.handshake_grace;
    if (Clock::now() < due) {
      handshake_cv_.wait_until(lock, due, taken);
      continue;
    }
    p->evicted = true;
    p->socket->interrupt();
    handshake_cv_.wait_for(lock, kPoll, taken);
  }
  return got;
}

void Session::accept_loop() {
  while (!stop_.load()) {
    // With every handshake slot taken, new connections wait in the kernel's
    // backlog (not closed: a burst of honest peers gets in as slots free).
    if (!await_handshake_room()) continue;
    auto conn = listener_->accept(kPoll);
    if (!conn) {
      if (stop_.load()) break;  // interrupted
      {
        std::lock_guard lock(events_mu_);
        events_.push_back({DownloadEvent::Kind::peer_error, conn.status().message()});
      }
      std::this_thread::sleep_for(kPoll);
      continue;
    }
    if (!*conn) continue;
    counters_.accepted.fetch_add(1);
    // Beyond the budget, or too many handshakes pending from this address
    // (a silent flood from one host holds no slot an honest peer needs):
    // closed at once.
    const auto handshake = begin_handshake(ip_of((*conn)->remote()));
    if (!handshake) {
      counters_.refused.fetch_add(1);
      continue;
    }
    if (!slots_.try_take_spare() && !evict_for_slot()) {
      end_handshake(*handshake);
      counters_.refused.fetch_add(1);
      continue;
    }
    {
      std::lock_guard lock(tasks_mu_);
      ++tasks_;
    }
    // Moved out: this thread keeps no reference to the connection.
    runners_.run([this, id = *handshake, sock = std::make_shared<PeerSocket>(std::move(**conn))] {
      route(id, std::make_unique<PeerSocket>(std::move(*sock)));
    });
  }
}

// Reads the peer's handshake and hands the connection to the torrent it
// names. A plain one (68 bytes, nothing more: what follows is the torrent's
// to read) is told from an encrypted one (MSE/PE) by its first 20 bytes;
// an encrypted one names its torrent by HASH('req2', info-hash), and its
// BitTorrent handshake, which follows, must name the same.
void Session::route(std::uint64_t handshake, std::unique_ptr<PeerSocket> socket) {
  watch_handshake(handshake, *socket);
  const auto deadline = Clock::now() + o_.handshake_timeout;
  const StopFlags stop{&stop_, nullptr};
  std::unique_ptr<PeerStream> stream = std::move(socket);
  Wire wire = Wire::plain;
  std::optional<wire::Handshake> theirs;
  std::array<std::uint8_t, wire::kHandshakeSize> buf{};
  auto read = [&](std::span<std::uint8_t> into) {
    for (std::size_t got = 0; got < into.size();) {
      if (stop.raised() || Clock::now() > deadline) return false;
      auto r = stream->receive_some(into.subspan(got), kPoll);
      if (!r) return false;
      got += *r;
    }
    return true;
  };
  constexpr std::size_t kPrefix = wire::kHandshakePrefixSize;
  if (read(std::span(buf).first(kPrefix))) {
    heard_from(handshake);
    if (wire::is_handshake_prefix(std::span(buf).first<kPrefix>())) {
      if (o_.encryption != Encryption::require && read(std::span(buf).subspan(kPrefix))) {
        if (auto h = wire::decode_handshake(buf)) theirs = *h;
      }
    } else if (o_.encryption != Encryption::off) {
      auto lookup = [this](const Sha1Digest& r) -> std::optional<InfoHash> {
        std::lock_guard lock(routes_mu_);
        auto it = by_req2_.find(r);
        if (it == by_req2_.end()) return std::nullopt;
        return it->second;
      };
      auto m = mse_accept(stream, std::span(buf).first(kPrefix), mse_methods(o_.encryption),
                          o_.encryption == Encryption::prefer, lookup, HandshakeLimits{.deadline = deadline, .stop = stop});
      if (m) {
        wire = m->stream->rc4() ? Wire::mse_rc4 : Wire::mse_plaintext;
        stream = std::move(m->stream);
        if (read(buf)) {
          auto h = wire::decode_handshake(buf);
          if (h && h->info_hash == m->skey) theirs = *h;
        }
      }
    }
  }
  Torrent* target = nullptr;
  if (!theirs) {
    counters_.refused.fetch_add(1);
  } else {
    std::lock_guard lock(routes_mu_);
    auto it = routes_.find(theirs->info_hash);
    if (it != routes_.end() && it->second->enter()) target = it->second;
  }
  if (theirs && !target) counters_.unknown_hash.fetch_add(1);
  if (wire != Wire::plain && theirs) counters_.encrypted.fetch_add(1);
  // A routed connection is the torrent's task now (enter() counted it), and
  // its slot the torrent's to give back. Otherwise the slot is free before
  // the handshake ends: the accept loop waiting for either finds both.
  if (!target) slots_.give_back();
  end_handshake(handshake);  // before the stream (and the socket in it) can go
  if (!target) stream.reset();
  {
    std::lock_guard lock(tasks_mu_);  // notified under the lock: the session may go right after
    --tasks_;
    tasks_cv_.notify_all();
  }
  if (target) target->serve_incoming(std::move(stream), *theirs, wire);
}

void Session::start_queued() {
  // Downloads up to max_active, in order; torrents that only serve do not
  // count. (Their checks run at once; rechecks take turns, see SessionParts.)
  unsigned active = 0, checking = 0;
  for (auto& t : torrents_) {
    active += t->downloading() ? 1 : 0;
    checking += t->state() == Torrent::State::checking ? 1 : 0;
  }
  for (auto& t : torrents_) {
    if (checking >= kMaxChecking) break;
    if (t->state() != Torrent::State::queued) continue;
    if (t->options().download) {
      if (active >= std::max(1u, o_.max_active)) continue;
      ++active;
    }
    t->start();
    ++checking;
  }
}

void Session::wake() {
  {
    std::lock_guard lock(wake_mu_);
    woken_ = true;
  }
  wake_cv_.notify_one();
}

Status Session::run(const EventFn& on_event, const std::atomic<bool>& interrupt) {
  on_event_ = &on_event;
  bool stopping = false;
  while (true) {
    const auto now = Clock::now();
    if (interrupt.load() && !stopping) {
      stopping = true;
      for (auto& t : torrents_) t->stop(Status(ErrorCode::cancelled, "interrupted"));
    }
    if (!stopping) start_queued();
    // The connection budget is shared: each running torrent dials up to
    // its share (at least a few), and takes more when others leave slots.
    unsigned running = 0;
    for (auto& t : torrents_) running += t->state() == Torrent::State::running ? 1 : 0;
    parts_.dial_share = std::max(kMinShare, slots_.limit() / std::max(1u, running));
    bool all_finished = true;
    for (auto& t : torrents_) {
      t->tick(now);
      all_finished = all_finished && t->state() == Torrent::State::finished;
    }
    std::vector<DownloadEvent> events;
    {
      std::lock_guard lock(events_mu_);
      events.swap(events_);
    }
    for (auto& e : events) emit(nullptr, e);
    if (all_finished) break;
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, kTick, [this] { return woken_; });
    woken_ = false;
  }
  // The accept loop ends now; handshakes still being read within a poll.
  stop_accepting();
  {
    std::unique_lock lock(tasks_mu_);
    tasks_cv_.wait(lock, [this] { return tasks_ == 0; });
  }
  on_event_ = nullptr;
  return Status::ok();
}

}  // namespace fluxo
