#include "pipeline/download_engine.h"

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "net/listener.h"
#include "pipeline/announcer.h"
#include "pipeline/committer.h"
#include "pipeline/choker.h"
#include "pipeline/piece_pipeline.h"
#include "pipeline/rate_limiter.h"
#include "pipeline/swarm_state.h"
#include "pipeline/upload_cache.h"
#include "pipeline/verifier.h"
#include "storage/file_storage.h"
#include "storage/resume_file.h"

namespace fluxo {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kResumeInterval{5};  // resume data saved at most this often

// Events from other threads wait here until the supervising thread reports them.
class EventQueue {
 public:
  void push(DownloadEvent e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }
  std::vector<DownloadEvent> take() {
    std::lock_guard lock(mu_);
    return std::exchange(events_, {});
  }

 private:
  std::mutex mu_;
  std::vector<DownloadEvent> events_;  // guarded by mu_
};

// Counts the tasks running on the peer arena so shutdown can wait for them.
class TaskCounter {
 public:
  void start() {
    std::lock_guard lock(mu_);
    ++n_;
  }
  void done() {
    std::lock_guard lock(mu_);
    if (--n_ == 0) cv_.notify_all();
  }
  std::size_t running() {
    std::lock_guard lock(mu_);
    return n_;
  }
  void wait_idle() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return n_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t n_ = 0;  // guarded by mu_
};

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

DownloadResult run_download(const Metainfo& meta, const DownloadOptions& o,
                            const std::function<void(const DownloadEvent&)>& on_event,
                            const std::atomic<bool>& interrupt) {
  DownloadResult result;
  const auto start = Clock::now();
  const unsigned cores = static_cast<unsigned>(oneapi::tbb::info::default_concurrency());
  const unsigned hash_threads = o.hash_threads ? o.hash_threads : cores;
  const unsigned max_peers = std::max(1u, o.max_peers);
  std::size_t pool_pieces = std::clamp<std::size_t>(o.max_memory / static_cast<std::size_t>(meta.piece_length),
                                                    4, std::max<std::uint32_t>(meta.piece_count(), 4));

  // Serving only: nothing is created or written.
  if (!o.download) pool_pieces = 4;  // serving only: the download buffers stay unused
  auto storage = FileStorage::open(meta, o.directory,
                                   StorageOptions{.direct_io = o.direct_io && o.download, .read_only = !o.download});
  if (!storage) {
    result.status = storage.status();
    return result;
  }

  // What is on disk already: resume data if it can be trusted, else a
  // recheck of whatever data there is. Nothing unverified counts.
  std::optional<Bitfield> initial = o.verified;
  if (o.download && !initial) {
    auto resumed = load_resume(o.directory, meta);
    if (resumed) {
      initial = std::move(resumed->pieces);
      on_event({DownloadEvent::Kind::resume, "resumed: " + std::to_string(initial->count()) + " of " +
                                                 std::to_string(meta.piece_count()) + " pieces verified earlier"});
    } else {
      bool any_data = false;
      for (const auto& s : stamp_files(o.directory, meta)) any_data = any_data || s.size > 0;
      std::string why = resumed.status().code() == ErrorCode::not_found
                            ? std::string("data found without resume data")
                            : "resume data ignored (" + resumed.status().message() + ")";
      if (any_data || resumed.status().code() != ErrorCode::not_found) {
        on_event({DownloadEvent::Kind::resume, why + "; rechecking"});
        auto report = verify_pieces(meta, **storage,
                                    HashOptions{.threads = hash_threads, .max_bytes_in_flight = o.max_memory,
                                                .progress = {}, .cancel = &interrupt});
        if (!report) {
          result.status = report.status();
          return result;
        }
        // What the recheck found may not be on disk yet (written by a run
        // that was killed): the first resume save syncs it before listing it.
        if (!report->complete.none()) (*storage)->mark_all_dirty();
        initial = std::move(report->complete);
        on_event({DownloadEvent::Kind::resume, "recheck: " + std::to_string(initial->count()) + " of " +
                                                   std::to_string(meta.piece_count()) + " pieces verified"});
      }
    }
  }

  ConnectionLimits limits;
  limits.total = max_peers;
  // Peers that connect to us may take half the slots while we download
  // (the rest are ours to dial out with), all of them when we only serve.
  limits.incoming = o.download ? std::max(1u, max_peers / 2) : max_peers;
  limits.per_ip = std::max(1u, o.max_per_ip);
  SwarmState swarm(meta, pool_pieces, limits);
  swarm.our_id = make_peer_id();
  if (initial) {
    for (std::uint32_t i = 0; i < meta.piece_count(); ++i) {
      PieceIndex p(i);
      if (i < initial->size() && initial->test(p)) {
        swarm.have.set(p);
        swarm.claimed.set(p);
        swarm.counters.verified_bytes.fetch_add(static_cast<std::uint64_t>(meta.piece_size(p)));
      }
    }
  }
  if (!o.download) {
    // Mark what we lack as taken, so no session ever asks for it.
    for (std::uint32_t i = 0; i < meta.piece_count(); ++i) swarm.claimed.set(PieceIndex(i));
  }
  swarm.downloading = o.download;
  swarm.seeding = o.seed_forever || o.seed_ratio > 0 || o.seed_time.count() > 0;
  UploadCache upload(meta, **storage, o.upload_cache);
  swarm.upload = &upload;
  std::optional<RateLimiter> limiter;
  if (o.upload_limit > 0) {
    limiter.emplace(o.upload_limit);
    swarm.upload_limit = &*limiter;
  }
  EventQueue events;
  swarm.on_piece_lost = [&](PieceIndex p, const Status& why) {
    if (!swarm.have.clear(p)) return;  // another session got there first
    upload.forget(p);
    swarm.counters.verified_bytes.fetch_sub(static_cast<std::uint64_t>(meta.piece_size(p)));
    if (o.download) swarm.claimed.clear(p);  // fetch it again
    events.push({DownloadEvent::Kind::piece_lost, why.message()});
  };
  Committer committer(swarm, [&](const std::string& ip, const std::string& why) {
    events.push({DownloadEvent::Kind::peer_banned, ip + " (" + why + ")"});
  });
  PiecePipeline pipeline(meta, **storage, committer, hash_threads);
  swarm.pipeline = &pipeline;
  // Slots: one per peer, the listener, and a few for sessions that were
  // evicted or banned and have not noticed yet (they leave the roster at
  // once, their tasks within a receive timeout). The process-wide thread
  // limit is the caller's ThreadBudget.
  oneapi::tbb::task_arena peer_arena(static_cast<int>(max_peers + 8), 0);
  TaskCounter tasks;

  std::optional<Listener> listener;
  std::uint16_t announced_port = o.port;
  if (o.listen) {
    auto l = Listener::open(o.listen_address, o.port, /*try_next=*/true);
    if (!l) {
      if (!o.download) {
        result.status = l.status();
        return result;
      }
      events.push({DownloadEvent::Kind::peer_error, l.status().message() + " (downloading without listening)"});
    } else {
      listener.emplace(std::move(*l));
      announced_port = listener->port();
      const std::string& a = listener->address();
      if (a != "0.0.0.0" && a != "::") swarm.bind_ip = a;
    }
  }

  swarm.peers.add(o.peers);
  const bool trackers = o.use_trackers && !meta.trackers.empty();

  auto session_done = [&](const Status& st, const std::optional<PeerAddress>& addr) {
    bool failed = !st && st.code() != ErrorCode::cancelled;
    if (failed) events.push({DownloadEvent::Kind::peer_error, st.message()});
    if (addr) swarm.peers.disconnected(*addr, failed, Clock::now());
    tasks.done();
  };
  if (listener) {
    tasks.start();
    peer_arena.enqueue([&] {
      while (!swarm.stop.load()) {
        auto conn = listener->accept(std::chrono::milliseconds(200));
        if (!conn) {
          events.push({DownloadEvent::Kind::peer_error, conn.status().message()});
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          continue;
        }
        if (!*conn) continue;
        swarm.counters.incoming.fetch_add(1);
        // Banned addresses and connections beyond the budget are closed
        // here, before the handshake.
        const std::string ip = ip_of((*conn)->remote());
        auto link = std::make_shared<PeerLink>(swarm.next_session.fetch_add(1), ip, /*incoming=*/true);
        if (swarm.peers.banned(ip) || !swarm.roster.admit(link, Clock::now())) {
          swarm.counters.refused.fetch_add(1);
          continue;  // the socket closes here
        }
        tasks.start();
        peer_arena.enqueue([&, link, sock = std::make_shared<PeerSocket>(std::move(**conn))] {
          session_done(run_incoming_session(swarm, std::move(*sock), link, o.session), std::nullopt);
        });
      }
      tasks.done();
    });
  }

  DownloadEvent base;
  base.total_bytes = meta.total_size;
  base.memory_cap = pool_pieces * static_cast<std::size_t>(meta.piece_length);
  {
    DownloadEvent e = base;
    e.kind = DownloadEvent::Kind::started;
    e.text = meta.name;
    e.verified_bytes = static_cast<std::int64_t>(swarm.counters.verified_bytes.load());
    on_event(e);
  }
  if (listener) {
    DownloadEvent e = base;
    e.kind = DownloadEvent::Kind::listening;
    e.text = listener->address() + ":" + std::to_string(listener->port());
    on_event(e);
  }

  // Resume data lists only pieces synced to disk before it is written.
  std::uint32_t saved_count = o.download ? swarm.have.count() : 0;
  auto last_save = start;
  auto save_resume_now = [&]() -> Status {
    ResumeData r;
    r.info_hash = meta.info_hash;
    r.pieces = Bitfield(meta.piece_count());
    for (std::uint32_t i = 0; i < meta.piece_count(); ++i) {
      if (swarm.have.test(PieceIndex(i))) r.pieces.set(PieceIndex(i));
    }
    if (Status s = (*storage)->sync(); !s) return s;
    r.files = stamp_files(o.directory, meta);
    if (Status s = save_resume(o.directory, meta, r); !s) return s;
    saved_count = r.pieces.count();
    return Status::ok();
  };

  // Trackers on a thread of their own; destroyed (stopped announce sent) at
  // the end, after `stop` is set.
  std::optional<Announcer> announcer;
  if (trackers) {
    TrackerOptions t = o.tracker;
    t.source_address = swarm.bind_ip;
    announcer.emplace(swarm, t, announced_port, [&](Announcer::Report r) {
      DownloadEvent ev{r.ok ? DownloadEvent::Kind::tracker_ok : DownloadEvent::Kind::tracker_error, std::move(r.text)};
      ev.peers_known = r.new_peers;
      events.push(std::move(ev));
    });
  }

  Choker choker(ChokerConfig{.slots = std::max(1u, o.upload_slots)});
  auto last_choke = start - std::chrono::seconds(1);
  auto last_progress = start;
  std::int64_t last_bytes = static_cast<std::int64_t>(swarm.counters.verified_bytes.load());
  std::uint64_t last_uploaded = 0;
  // Activity, for the stall timeout: payload arriving. Connected peers that
  // send nothing useful do not count.
  auto last_activity = start;
  std::uint64_t last_payload = 0;
  auto last_eviction = start;
  std::optional<Clock::time_point> completed_at;
  auto summary = [&](DownloadEvent::Kind kind) {
    DownloadEvent e = base;
    e.kind = kind;
    e.verified_bytes = static_cast<std::int64_t>(swarm.counters.verified_bytes.load());
    e.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    e.rate = e.seconds > 0 ? static_cast<double>(swarm.counters.payload_received.load()) / e.seconds : 0;
    e.peers_used = swarm.counters.peers_used.load();
    e.peers_known = swarm.peers.known();
    e.hash_failures = swarm.counters.hash_failures.load();
    e.wasted_bytes = swarm.counters.wasted.load();
    e.snubbed = swarm.counters.snubbed.load();
    e.banned = swarm.peers.banned_count();
    e.memory_peak = swarm.pool.peak_in_use() * static_cast<std::size_t>(meta.piece_length);
    e.write_calls = pipeline.stats().write_calls;
    e.uploaded_bytes = swarm.counters.uploaded.load();
    e.incoming = swarm.counters.incoming.load();
    e.refused = swarm.counters.refused.load();
    e.evicted = swarm.roster.evictions();
    return e;
  };
  while (true) {
    auto now = Clock::now();
    if (interrupt.load()) {
      result.status = Status(ErrorCode::cancelled, "interrupted");
      break;
    }
    if (Status e = committer.error(); !e) {
      result.status = e;
      break;
    }
    const bool complete = swarm.have.all();
    if (complete && o.download && !completed_at) {
      completed_at = now;
      if (swarm.seeding) {
        pipeline.wait();  // every piece written before we say so
        on_event(summary(DownloadEvent::Kind::completed));
      }
    }
    if (o.download && complete && !swarm.seeding) break;
    if (completed_at || !o.download) {
      // Seeding: until the ratio or the time is reached, or forever.
      const auto up = static_cast<double>(swarm.counters.uploaded.load());
      bool ratio_met = o.seed_ratio > 0 && up >= o.seed_ratio * static_cast<double>(meta.total_size);
      bool time_met = o.seed_time.count() > 0 && completed_at && now - *completed_at >= o.seed_time;
      if (!o.seed_forever && (ratio_met || time_met)) break;
    }
    if (o.download && now - last_save >= kResumeInterval && swarm.have.count() != saved_count) {
      last_save = now;
      if (Status s = save_resume_now(); !s) {
        on_event({DownloadEvent::Kind::resume, "cannot save resume data: " + s.message()});
      }
    }
    // Once a second: connections on probation that did not prove useful in
    // time go, and a full roster makes room for an address waiting to be
    // dialled by evicting the least useful peer.
    if (now - last_eviction >= std::chrono::seconds(1)) {
      last_eviction = now;
      swarm.counters.refused.fetch_add(static_cast<std::uint32_t>(swarm.roster.expire_probation(now)));
      if (swarm.roster.full() && swarm.peers.candidate_due(now)) (void)swarm.roster.evict_one(false, now);
    }
    // Dial out while the budget allows.
    while (!swarm.roster.full()) {
      auto cand = swarm.peers.next_candidate(now);
      if (!cand) break;
      auto link = std::make_shared<PeerLink>(swarm.next_session.fetch_add(1), cand->host, /*incoming=*/false);
      if (!swarm.roster.admit(link, now)) {  // another connection from that IP already
        swarm.peers.disconnected(*cand, false, now);
        break;
      }
      tasks.start();
      peer_arena.enqueue([&, addr = *cand, link] { session_done(run_peer_session(swarm, addr, link, o.session), addr); });
    }
    if (std::uint64_t got = swarm.counters.payload_received.load(); got != last_payload) {
      last_payload = got;
      last_activity = now;
    }
    if (complete || !o.download) last_activity = now;
    if (now - last_activity > o.stall_timeout) {
      result.status = Status(ErrorCode::network_error,
                             std::string("no peers to download from for ") + std::to_string(o.stall_timeout.count()) +
                                 " s" + (announcer && !announcer->working() ? " (no tracker answered)" : ""));
      break;
    }
    {
      // Rates once a second (smoothed over a few); the choker every round,
      // so a new interested peer gets a free slot at once. It rechokes on
      // its own clock.
      const bool measure = now - last_choke >= std::chrono::seconds(1);
      double secs = std::chrono::duration<double>(now - last_choke).count();
      if (measure) last_choke = now;
      auto links = swarm.roster.snapshot();
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
      auto unchoked = choker.decide(cands, complete, now);
      for (auto& l : links) {
        l->unchoke.store(std::find(unchoked.begin(), unchoked.end(), l->id) != unchoked.end());
      }
    }
    for (auto& e : events.take()) {
      if (e.kind != DownloadEvent::Kind::progress) on_event(e);
    }
    if (now - last_progress >= o.progress_interval) {
      DownloadEvent e = base;
      e.kind = DownloadEvent::Kind::progress;
      e.verified_bytes = static_cast<std::int64_t>(swarm.counters.verified_bytes.load());
      double secs = std::chrono::duration<double>(now - last_progress).count();
      e.rate = static_cast<double>(e.verified_bytes - last_bytes) / secs;
      e.seconds = std::chrono::duration<double>(now - start).count();
      e.peers_connected = swarm.counters.connected.load();
      e.peers_known = swarm.peers.known();
      e.hash_failures = swarm.counters.hash_failures.load();
      e.banned = swarm.peers.banned_count();
      e.uploaded_bytes = swarm.counters.uploaded.load();
      e.upload_rate = static_cast<double>(e.uploaded_bytes - last_uploaded) / secs;
      on_event(e);
      if (std::getenv("FLUXO_DEBUG")) {
        auto ps = pipeline.stats();
        std::fprintf(stderr, "debug: tasks %zu sessions %zu claimed %u have %u pool %zu pipeline %llu/%llu/%llu/%llu active [%s]\n",
                     tasks.running(), swarm.roster.size(), swarm.claimed.count(), swarm.have.count(), swarm.pool.in_use(),
                     (unsigned long long)ps.submitted, (unsigned long long)ps.hashed,
                     (unsigned long long)ps.processed, (unsigned long long)ps.pieces_written,
                     swarm.active.debug_string().c_str());
      }
      last_progress = now;
      last_bytes = e.verified_bytes;
      last_uploaded = e.uploaded_bytes;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // Shut down: peers notice `stop` within a receive timeout; an announce in
  // flight is abandoned and `stopped` sent with a short deadline; then the
  // pipeline drains (every write done and committed).
  swarm.stop.store(true);
  announcer.reset();
  tasks.wait_idle();
  pipeline.wait();
  for (auto& e : events.take()) on_event(e);
  if (o.download && swarm.have.count() != saved_count) {
    if (Status s = save_resume_now(); !s) {
      on_event({DownloadEvent::Kind::resume, "cannot save resume data: " + s.message()});
    }
  }
  if (result.status.is_ok() && o.download && !swarm.have.all()) {
    Status e = committer.error();
    result.status = e.is_ok() ? Status(ErrorCode::io_error, "download incomplete") : e;
  }
  result.summary = summary(DownloadEvent::Kind::finished);
  // The rate of what came over the wire, up to completion.
  const double active = std::chrono::duration<double>((completed_at ? *completed_at : Clock::now()) - start).count();
  result.summary.rate = active > 0 ? static_cast<double>(swarm.counters.payload_received.load()) / active : 0;
  return result;
}

}  // namespace fluxo
