#include "session/torrent.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "pipeline/announcer.h"
#include "pipeline/choker.h"
#include "pipeline/committer.h"
#include "pipeline/extension_protocol.h"
#include "pipeline/piece_pipeline.h"
#include "pipeline/swarm_state.h"
#include "pipeline/upload_cache.h"
#include "pipeline/upload_queue.h"
#include "pipeline/verifier.h"
#include "storage/file_storage.h"
#include "session/metadata_fetch.h"
#include "session/resume_keeper.h"
#include "storage/resume_file.h"

namespace fluxo {
namespace {

constexpr std::chrono::seconds kResumeInterval{5};  // resume data saved at most this often
constexpr std::size_t kGuaranteedBuffers = 4;       // piece buffers a torrent always gets
constexpr std::int64_t kMaxPexPeersPerTorrent = 2000;  // addresses PEX may add, all connections together
constexpr std::chrono::seconds kSeedRetry{300};  // seeding: a seed we dialled, dialled again after

}  // namespace

struct Torrent::Choking {
  Choker choker;
  Clock::time_point last{};
};

Torrent::Torrent(SessionParts& parts, Metainfo meta, TorrentOptions options, EventFn on_event)
    : parts_(parts), meta_(std::move(meta)), o_(std::move(options)), on_event_(std::move(on_event)) {
  result_.summary.total_bytes = meta_.total_size;
}

Torrent::Torrent(SessionParts& parts, Metainfo placeholder, TorrentOptions options, EventFn on_event, FromMagnet)
    : Torrent(parts, std::move(placeholder), std::move(options), std::move(on_event)) {
  needs_metadata_ = true;
}

Torrent::~Torrent() {
  fetch_.reset();
  cancel_check_.store(true);
  if (checker_.joinable()) checker_.join();
  if (swarm_) {
    // Normally finished already; an early unwind must still not leave tasks
    // running on a destroyed torrent.
    swarm_->stop.store(true);
    {
      std::lock_guard lock(tasks_mu_);
      accepting_ = false;
    }
    while (true) {
      {
        std::lock_guard lock(tasks_mu_);
        if (tasks_ == 0) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    announcer_.reset();
    if (target_) parts_.pipeline.wait(*target_);
  }
}

bool Torrent::downloading() const {
  if (state_ == State::checking || state_ == State::fetching) return true;
  return state_ == State::running && o_.download && !completed_at_;
}

std::pair<std::size_t, std::size_t> Torrent::files_selected() const {
  std::size_t with_data = 0, chosen = 0;
  for (std::size_t i = 0; i < meta_.files.size(); ++i) {
    if (!meta_.files[i].regular() || meta_.files[i].size == 0) continue;
    ++with_data;
    if (selected_.empty() || selected_[i]) ++chosen;
  }
  return {chosen, with_data};
}

std::int64_t Torrent::verified_bytes() const {
  if (swarm_) return static_cast<std::int64_t>(swarm_->counters.verified_bytes.load());
  return state_ == State::finished ? result_.summary.verified_bytes : 0;
}

std::uint32_t Torrent::peers_connected() const { return swarm_ ? swarm_->counters.connected.load() : 0; }

void Torrent::push(DownloadEvent e) {
  std::lock_guard lock(events_mu_);
  events_.push_back(std::move(e));
}

void Torrent::deliver_events() {
  std::vector<DownloadEvent> events;
  {
    std::lock_guard lock(events_mu_);
    events.swap(events_);
  }
  for (auto& e : events) emit(e);
}

void Torrent::start() {
  if (state_ != State::queued) return;
  start_ = Clock::now();
  if (!needs_metadata_) {
    begin_checking();
    return;
  }
  // Peers that fetch metadata announce our port: the listener first (it
  // failing is no reason not to download).
  if (parts_.go_live) (void)parts_.go_live(false);
  state_ = State::fetching;
  MetadataFetchOptions f;
  f.info_hash = meta_.info_hash;
  f.trackers = meta_.trackers;
  f.peers = o_.peers;
  f.use_trackers = o_.use_trackers;
  f.tracker = o_.tracker;
  f.peer.client = std::string("fluxo/") + FLUXO_VERSION;
  f.peer.handshake_timeout = o_.peer.handshake_timeout;
  f.peer.encryption = o_.peer.encryption;
  f.peer.request_timeout = o_.peer.request_timeout;
  emit({DownloadEvent::Kind::fetching_metadata, meta_.name});
  fetch_ = std::make_unique<MetadataFetch>(parts_, std::move(f), [this](DownloadEvent e) { push(std::move(e)); });
}

Status Torrent::begin_running() {
  if (parts_.go_live) {
    if (Status s = parts_.go_live(!o_.download); !s) return s;
  }
  ran_ = true;
  if (!o_.peer.extensions) {
    // BEP 10 on every connection (the port is final once live). A private
    // torrent's metadata comes from its tracker's site, not from peers, and
    // its peers from its tracker only (BEP 27): no ut_metadata, no ut_pex.
    ExtensionConfig ext;
    ext.client = std::string("fluxo/") + FLUXO_VERSION;
    ext.listen_port = parts_.port;
    ext.reqq = static_cast<std::uint32_t>(UploadQueue::kMaxQueue);
    if (!meta_.is_private) {
      ext.metadata = meta_.info_bytes;
      ext.pex = std::make_shared<PexRoster>();
      // What peer exchange may add to the peer book, every connection
      // together: half of it, so peers that list junk cannot crowd out the
      // trackers' peers.
      auto pex_room = std::make_shared<std::atomic<std::int64_t>>(kMaxPexPeersPerTorrent);
      ext.on_pex_peers = [this, pex_room](std::vector<PeerAddress> peers) {
        // A seed has nothing to fetch: the peers a list names are for
        // downloaders (seeds dialling each other only churn).
        if (swarm_->done()) return;
        const auto left = pex_room->fetch_sub(static_cast<std::int64_t>(peers.size()));
        if (left <= 0) return;
        if (static_cast<std::int64_t>(peers.size()) > left) peers.resize(static_cast<std::size_t>(left));
        if (swarm_->peers.add(peers) > 0 && parts_.wake) parts_.wake();
      };
    }
    o_.peer.extensions = [ext](const PeerAddress& remote, bool incoming) {
      return std::make_unique<ExtensionProtocol>(ext, remote, incoming);
    };
  }
  const unsigned max_peers = std::max(1u, o_.max_peers);
  ConnectionLimits limits;
  limits.total = max_peers;
  // Peers that connect to us may take half the slots while we download
  // (the rest are ours to dial out with), all of them when we only serve.
  limits.incoming = o_.download ? std::max(1u, max_peers / 2) : max_peers;
  limits.per_ip = std::max(1u, o_.max_per_ip);
  swarm_ = std::make_unique<SwarmState>(meta_, parts_.memory, limits, kGuaranteedBuffers, wanted_);
  SwarmState& swarm = *swarm_;
  swarm.our_id = parts_.peer_id;
  if (initial_) {
    for (std::uint32_t i = 0; i < meta_.piece_count(); ++i) {
      PieceIndex p(i);
      // Pieces of files left out are not ours to offer: their bytes may
      // be gone.
      if (i < initial_->size() && initial_->test(p) && (wanted_.size() == 0 || wanted_.test(p))) {
        swarm.add_have(p);
        swarm.claimed.set(p);
        swarm.counters.verified_bytes.fetch_add(static_cast<std::uint64_t>(meta_.piece_size(p)));
      }
    }
  }
  if (!o_.download) {
    // Mark what we lack as taken, so no session ever asks for it.
    for (std::uint32_t i = 0; i < meta_.piece_count(); ++i) swarm.claimed.set(PieceIndex(i));
  }
  swarm.downloading = o_.download;
  swarm.seeding = seeds_after(o_);
  upload_ = std::make_unique<UploadCache>(meta_, *storage_, o_.upload_cache, parts_.prefetch);
  swarm.on_piece_lost = [this](PieceIndex p, const Status& why) {
    SwarmState& s = *swarm_;
    if (!s.lose_have(p)) return;  // another session got there first
    upload_->forget(p);
    s.counters.verified_bytes.fetch_sub(static_cast<std::uint64_t>(meta_.piece_size(p)));
    if (o_.download) s.claimed.clear(p);  // fetch it again
    push({DownloadEvent::Kind::piece_lost, why.message()});
  };
  // Completion and new peers wake the supervisor: the queue moves on and
  // peers are dialled at once, not at the next tick.
  committer_ = std::make_unique<Committer>(
      swarm,
      [this](const std::string& ip, const std::string& why) {
        push({DownloadEvent::Kind::peer_banned, ip + " (" + why + ")"});
      },
      [this] {
        if (parts_.wake) parts_.wake();
      });
  target_ = std::make_unique<PieceTarget>(meta_, *storage_, *committer_);
  io_ = std::make_unique<SwarmIo>(SwarmIo{parts_.pipeline, *target_, upload_.get(), parts_.upload_limit, parts_.wake});
  swarm.bind_ip = parts_.bind_ip;
  // Trackers list us too: never dial our own listener.
  if (parts_.port != 0 && !parts_.bind_ip.empty()) swarm.peers.forget({parts_.bind_ip, parts_.port});
  for (const PeerAddress& a : parts_.ourselves.all()) swarm.peers.forget(a);
  swarm.on_ourselves = [this](const PeerAddress& a) { parts_.ourselves.add(a); };
  swarm.peers.add(o_.peers);
  memory_cap_ = swarm.pool.cap_bytes();
  if (o_.download) {
    resume_ = std::make_unique<ResumeKeeper>(meta_, o_.directory, *storage_, swarm.have.count(), parts_.wake, selected_);
  }

  deliver_events();  // what the check found comes before `started`
  DownloadEvent e = summary(DownloadEvent::Kind::started);
  e.text = meta_.name;
  emit(e);

  if (o_.use_trackers && !meta_.trackers.empty()) {
    TrackerOptions t = o_.tracker;
    t.source_address = parts_.bind_ip;
    announcer_ = std::make_unique<Announcer>(swarm, t, parts_.port, [this](Announcer::Report r) {
      DownloadEvent ev{r.ok ? DownloadEvent::Kind::tracker_ok : DownloadEvent::Kind::tracker_error, std::move(r.text)};
      ev.peers_known = r.new_peers;
      const bool news = r.new_peers > 0;
      push(std::move(ev));
      if (news && parts_.wake) parts_.wake();
    }, parts_.wake, parts_.announce);
  }
  choking_ = std::make_unique<Choking>(Choking{Choker(ChokerConfig{.slots = std::max(1u, o_.upload_slots)}), {}});
  const auto now = Clock::now();
  choking_->last = now - std::chrono::seconds(1);
  last_save_ = last_progress_ = last_activity_ = last_eviction_ = now;
  last_bytes_ = static_cast<std::int64_t>(swarm.counters.verified_bytes.load());
  {
    std::lock_guard lock(tasks_mu_);
    accepting_ = true;
  }
  state_ = State::running;
  return Status::ok();
}

void Torrent::tick(Clock::time_point now) {
  switch (state_) {
    case State::queued:
    case State::finished:
      return;
    case State::fetching:
      fetch_tick(now);
      return;
    case State::checking:
      if (!checked_.load(std::memory_order_acquire)) {
        if (now - last_check_event_ >= parts_.progress_interval) {
          last_check_event_ = now;
          DownloadEvent e;
          e.kind = DownloadEvent::Kind::checking;
          e.verified_bytes = check_progress_.load(std::memory_order_relaxed);
          e.total_bytes = meta_.total_size;
          e.seconds = std::chrono::duration<double>(now - start_).count();
          emit(e);
        }
        deliver_events();
        return;
      }
      checker_.join();
      if (!result_.status.is_ok() || !check_status_.is_ok()) {
        // Stopped while checking, or the check failed: nothing ran.
        if (result_.status.is_ok()) result_.status = check_status_;
        if (cancel_check_.load() && result_.status.is_ok()) result_.status = Status(ErrorCode::cancelled, "interrupted");
        deliver_events();
        result_.summary = summary(DownloadEvent::Kind::finished);
        storage_.reset();
        finished();
        return;
      }
      if (Status s = begin_running(); !s) {  // before anything of running exists
        result_.status = s;
        result_.summary = summary(DownloadEvent::Kind::finished);
        storage_.reset();
        finished();
        return;
      }
      run_tick(now);
      return;
    case State::running:
      run_tick(now);
      return;
    case State::stopping:
      finish_stopping(now);
      return;
  }
}

void Torrent::stop(Status why) {
  switch (state_) {
    case State::queued:
      result_.status = why.is_ok() ? Status(ErrorCode::cancelled, "not started") : why;
      result_.summary = summary(DownloadEvent::Kind::finished);
      finished();
      return;
    case State::fetching:
      if (result_.status.is_ok()) result_.status = why.is_ok() ? Status(ErrorCode::cancelled, "interrupted") : why;
      fetch_->stop();
      return;  // tick() finishes once its connections have ended
    case State::checking:
      if (result_.status.is_ok()) result_.status = why.is_ok() ? Status(ErrorCode::cancelled, "interrupted") : why;
      cancel_check_.store(true);
      return;  // tick() finishes once the check has stopped
    case State::running:
      result_.status = why;
      swarm_->stop.store(true);
      swarm_->roster.interrupt_all();  // blocked receives end now, not at their next poll
      if (announcer_) announcer_->wake();  // `stopped` now, not at its next look
      {
        std::lock_guard lock(tasks_mu_);
        accepting_ = false;
      }
      state_ = State::stopping;
      return;
    case State::stopping:
    case State::finished:
      return;
  }
}

bool Torrent::enter() {
  std::lock_guard lock(tasks_mu_);
  if (!accepting_) return false;
  ++tasks_;
  return true;
}

void Torrent::task_done() {
  std::lock_guard lock(tasks_mu_);
  --tasks_;
}

void Torrent::serve_incoming(std::unique_ptr<PeerStream> stream, const wire::Handshake& theirs, Wire how) {
  SwarmState& s = *swarm_;
  s.counters.incoming.fetch_add(1);
  if (how != Wire::plain) s.counters.encrypted.fetch_add(1);
  if (how == Wire::mse_rc4) s.counters.rc4.fetch_add(1);
  const std::string ip = ip_of(stream->remote());
  auto link = std::make_shared<PeerLink>(s.next_session.fetch_add(1), ip, /*incoming=*/true);
  // Banned addresses and connections beyond the budget are closed here.
  if (s.peers.banned(ip) || !s.roster.admit(link, Clock::now())) {
    s.counters.refused.fetch_add(1);
  } else {
    Status st = run_incoming_session(s, *io_, std::move(stream), theirs, link, o_.peer);
    if (!st && st.code() != ErrorCode::cancelled) push({DownloadEvent::Kind::peer_error, st.message()});
  }
  parts_.slots.give_back();
  task_done();
}

void Torrent::dial(Clock::time_point now) {
  SwarmState& s = *swarm_;
  // Dial out while this torrent's budget and its share of the session's allow.
  while (!s.roster.full() && s.roster.size() < parts_.dial_share && parts_.slots.in_use() < parts_.slots.limit()) {
    auto cand = s.peers.next_candidate(now);
    if (!cand) break;
    auto link = std::make_shared<PeerLink>(s.next_session.fetch_add(1), cand->host, /*incoming=*/false);
    if (!parts_.slots.try_take()) {
      s.peers.disconnected(*cand, false, now);
      break;
    }
    if (!s.roster.admit(link, now)) {  // another connection from that IP already
      parts_.slots.give_back();
      s.peers.disconnected(*cand, false, now);
      break;
    }
    {
      std::lock_guard lock(tasks_mu_);
      ++tasks_;
    }
    parts_.spawn([this, addr = *cand, link] {
      Status st = run_peer_session(*swarm_, *io_, addr, link, o_.peer);
      const bool failed = !st && st.code() != ErrorCode::cancelled;
      if (failed) push({DownloadEvent::Kind::peer_error, st.message()});
      // Seeding, a peer that ended with nothing either way is a seed too (peer
      // exchange and trackers list seeds): not dialled again every 2 s.
      const bool nothing_to_trade = st.is_ok() && swarm_->done() && link->uploaded.load() == 0 &&
                                    link->downloaded.load() == 0;
      swarm_->peers.disconnected(addr, failed, Clock::now(),
                                 nothing_to_trade ? kSeedRetry : std::chrono::seconds(2));
      parts_.slots.give_back();
      task_done();
    });
  }
}

void Torrent::choke(Clock::time_point now) {
  // Rates once a second (smoothed over a few); the choker every round, so a
  // new interested peer gets a free slot at once. It rechokes on its own
  // clock.
  SwarmState& s = *swarm_;
  const bool measure = now - choking_->last >= std::chrono::seconds(1);
  double secs = std::chrono::duration<double>(now - choking_->last).count();
  if (measure) choking_->last = now;
  auto links = s.roster.snapshot();
  std::vector<ChokeCandidate> cands;
  cands.reserve(links.size());
  for (auto& l : links) {
    if (measure) {
      std::uint64_t down = l->downloaded.load(), up = l->uploaded.load();
      l->down_rate = 0.5 * l->down_rate + 0.5 * static_cast<double>(down - l->seen_down) / secs;
      l->up_rate = 0.5 * l->up_rate + 0.5 * static_cast<double>(up - l->seen_up) / secs;
      l->seen_down = down;
      l->seen_up = up;
    }
    cands.push_back({l->id, l->interested.load(), l->snubbed.load(), l->unchoke.load(), l->down_rate, l->up_rate,
                     l->connected_at});
  }
  auto unchoked = choking_->choker.decide(cands, s.done(), now);
  for (auto& l : links) l->unchoke.store(std::find(unchoked.begin(), unchoked.end(), l->id) != unchoked.end());
}

void Torrent::run_tick(Clock::time_point now) {
  SwarmState& s = *swarm_;
  if (Status e = committer_->error(); !e) {
    stop(e);
    return;
  }
  const bool complete = s.done();
  if (complete && o_.download && !completed_at_) {
    completed_at_ = now;
    if (announcer_) announcer_->wake();  // `completed` now
    // (A piece is in `have` once written: every piece is on disk.)
    deliver_events();
    emit(summary(DownloadEvent::Kind::completed));
  }
  if (o_.download && complete && !s.seeding) {
    stop(Status::ok());
    return;
  }
  if (completed_at_ || !o_.download) {
    // Seeding: until the ratio or the time is reached, or forever.
    const auto up = static_cast<double>(s.counters.uploaded.load());
    bool ratio_met = o_.seed_ratio > 0 && up >= o_.seed_ratio * static_cast<double>(total_bytes());
    bool time_met = o_.seed_time.count() > 0 && completed_at_ && now - *completed_at_ >= o_.seed_time;
    if (!o_.seed_forever && (ratio_met || time_met)) {
      stop(Status::ok());
      return;
    }
  }
  if (resume_) {
    // Saved on the keeper's thread: a slow disk never holds up the others.
    if (now - last_save_ >= kResumeInterval && resume_->save(s.have)) last_save_ = now;
    if (auto e = resume_->take_error()) emit({DownloadEvent::Kind::resume, "cannot save resume data: " + e->message()});
  }
  // Once a second: connections on probation that did not prove useful in
  // time go, and a full roster makes room for an address waiting to be
  // dialled by evicting the least useful peer.
  if (now - last_eviction_ >= std::chrono::seconds(1)) {
    last_eviction_ = now;
    s.counters.refused.fetch_add(static_cast<std::uint32_t>(s.roster.expire_probation(now)));
    if (s.roster.full() && s.peers.candidate_due(now)) (void)s.roster.evict_one(false, now);
  }
  dial(now);
  if (std::uint64_t got = s.counters.payload_received.load(); got != last_payload_) {
    last_payload_ = got;
    last_activity_ = now;
  }
  if (complete || !o_.download) last_activity_ = now;
  if (now - last_activity_ > o_.stall_timeout) {
    stop(Status(ErrorCode::network_error,
                std::string("no peers to download from for ") + std::to_string(o_.stall_timeout.count()) + " s" +
                    (announcer_ && !announcer_->working() ? " (no tracker answered)" : "")));
    return;
  }
  choke(now);
  deliver_events();
  report_progress(now);
}

void Torrent::report_progress(Clock::time_point now) {
  if (now - last_progress_ < parts_.progress_interval) return;
  SwarmState& s = *swarm_;
  DownloadEvent e = summary(DownloadEvent::Kind::progress);
  double secs = std::chrono::duration<double>(now - last_progress_).count();
  e.rate = static_cast<double>(e.verified_bytes - last_bytes_) / secs;
  e.peers_connected = s.counters.connected.load();
  e.upload_rate = static_cast<double>(e.uploaded_bytes - last_uploaded_) / secs;
  emit(e);
  if (std::getenv("FLUXO_DEBUG")) {
    std::size_t tasks = 0;
    {
      std::lock_guard lock(tasks_mu_);
      tasks = tasks_;
    }
    std::fprintf(stderr, "debug: %s: tasks %zu sessions %zu claimed %u have %u pool %zu active [%s]\n",
                 meta_.info_hash.hex().c_str(), tasks, s.roster.size(), s.claimed.count(), s.have.count(),
                 s.pool.in_use(), s.active.debug_string().c_str());
  }
  last_progress_ = now;
  last_bytes_ = e.verified_bytes;
  last_uploaded_ = e.uploaded_bytes;
}

void Torrent::finish_stopping(Clock::time_point now) {
  // Peers notice `stop` within a receive timeout and the announcer sends
  // `stopped` (bounded) meanwhile; this torrent's pieces drain from the
  // pipeline (every write done and committed) and the last resume save
  // runs while the tracker answers.
  deliver_events();
  {
    std::lock_guard lock(tasks_mu_);
    if (tasks_ > 0) return;
  }
  if (target_->settled.load() != target_->issued.load()) return;  // pieces still in the pipeline
  parts_.pipeline.wait(*target_);
  deliver_events();
  SwarmState& s = *swarm_;
  if (resume_) {
    // The last save (on the keeper's thread; a periodic one may be under
    // way first), then the torrent is done.
    if (!resume_->idle()) return;
    if (!final_save_started_ && s.have.count() != resume_->saved()) {
      final_save_started_ = true;
      if (resume_->save(s.have)) return;
    }
    if (auto e = resume_->take_error()) emit({DownloadEvent::Kind::resume, "cannot save resume data: " + e->message()});
  }
  if (announcer_ && !announcer_->finished()) return;
  announcer_.reset();
  if (result_.status.is_ok() && o_.download && !s.done()) {
    Status e = committer_->error();
    result_.status = e.is_ok() ? Status(ErrorCode::io_error, "download incomplete") : e;
  }
  result_.summary = summary(DownloadEvent::Kind::finished);
  // The rate of what came over the wire, up to completion.
  const double active = std::chrono::duration<double>((completed_at_ ? *completed_at_ : now) - start_).count();
  result_.summary.rate = active > 0 ? static_cast<double>(s.counters.payload_received.load()) / active : 0;
  // Everything the torrent held goes now: partial pieces give their
  // buffers back to the session's budget.
  choking_.reset();
  resume_.reset();
  io_.reset();
  target_.reset();
  committer_.reset();
  upload_.reset();
  swarm_.reset();
  storage_.reset();
  finished();
}

void Torrent::finished() {
  state_ = State::finished;
  emit(result_.summary);
}

DownloadEvent Torrent::summary(DownloadEvent::Kind kind) const {
  DownloadEvent e;
  e.kind = kind;
  e.total_bytes = total_bytes();
  e.memory_cap = memory_cap_;
  const auto [chosen, with_data] = files_selected();
  e.files_selected = static_cast<std::uint32_t>(chosen);
  e.files_total = static_cast<std::uint32_t>(with_data);
  e.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  if (!swarm_) {
    if (initial_) {
      for (std::uint32_t i = 0; i < meta_.piece_count(); ++i) {
        if (i < initial_->size() && initial_->test(PieceIndex(i))) e.verified_bytes += meta_.piece_size(PieceIndex(i));
      }
    }
    return e;
  }
  const SwarmState& s = *swarm_;
  e.verified_bytes = static_cast<std::int64_t>(s.counters.verified_bytes.load());
  e.rate = e.seconds > 0 ? static_cast<double>(s.counters.payload_received.load()) / e.seconds : 0;
  e.peers_used = s.counters.peers_used.load();
  e.peers_known = s.peers.known();
  e.hash_failures = s.counters.hash_failures.load();
  e.wasted_bytes = s.counters.wasted.load();
  e.snubbed = s.counters.snubbed.load();
  e.banned = s.peers.banned_count();
  e.memory_peak = s.pool.peak_in_use() * static_cast<std::size_t>(meta_.piece_length);
  e.write_calls = target_ ? target_->write_calls.load() : 0;
  e.uploaded_bytes = s.counters.uploaded.load();
  e.incoming = s.counters.incoming.load();
  e.refused = s.counters.refused.load();
  e.evicted = s.roster.evictions();
  e.encrypted = s.counters.encrypted.load();
  e.encrypted_rc4 = s.counters.rc4.load();
  return e;
}

}  // namespace fluxo
