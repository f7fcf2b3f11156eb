#include "pipeline/announcer.h"

#include <algorithm>
#include <random>

namespace fluxo {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kTick{100};
constexpr std::chrono::milliseconds kStoppedDeadline{1000};

}  // namespace

Announcer::Announcer(SwarmState& swarm, TrackerOptions options, std::uint16_t port,
                     std::function<void(Report)> report, std::function<void()> on_finished,
                     AnnounceFn transport)
    : s_(swarm), options_(std::move(options)), report_(std::move(report)), on_finished_(std::move(on_finished)),
      transport_(transport ? std::move(transport) : AnnounceFn(announce)),
      tiers_(swarm.meta.trackers),
      next_(Clock::now()) {
  std::uint32_t key = std::random_device{}();
  std::minstd_rand rng(key);
  for (auto& t : tiers_) std::shuffle(t.begin(), t.end(), rng);
  req_.info_hash = s_.meta.info_hash;
  req_.peer_id = s_.our_id;
  req_.port = port;
  req_.key = key;
  thread_ = std::thread([this] { run(); });
}

Announcer::~Announcer() {
  s_.stop.store(true);  // normally set already; not when a download unwinds early
  wake();
  if (thread_.joinable()) thread_.join();
}

void Announcer::wake() {
  {
    std::lock_guard lock(wake_mu_);
    woken_ = true;
  }
  wake_cv_.notify_one();
}

bool Announcer::announce_round(AnnounceEvent event) {
  req_.event = event;
  req_.downloaded = static_cast<std::int64_t>(s_.counters.payload_received.load());
  req_.uploaded = static_cast<std::int64_t>(s_.counters.uploaded.load());
  req_.left = s_.meta.total_size - static_cast<std::int64_t>(s_.counters.verified_bytes.load());
  for (auto& tier : tiers_) {
    for (std::size_t i = 0; i < tier.size(); ++i) {
      if (s_.stop.load()) return false;
      auto r = transport_(tier[i], req_, options_, &s_.stop);
      if (!r) {
        if (!s_.stop.load()) report_({false, r.status().message(), 0});
        continue;
      }
      std::rotate(tier.begin(), tier.begin() + static_cast<std::ptrdiff_t>(i),
                  tier.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      if (!r->tracker_id.empty()) req_.tracker_id = r->tracker_id;
      std::size_t added = s_.peers.add(r->peers);
      Report rep{true, tier.front(), added};
      if (!r->warning.empty()) rep.text += " (warning: " + r->warning + ")";
      report_(std::move(rep));
      last_good_ = tier.front();
      next_ = Clock::now() + std::chrono::seconds(r->interval);
      if (added == 0 && s_.counters.connected.load() == 0 && !s_.done()) {
        // Nobody to download from: ask again soon (within min interval).
        next_ = Clock::now() + std::chrono::seconds(std::max<std::int64_t>(30, r->min_interval));
      }
      backoff_ = std::chrono::seconds(15);
      working_.store(true);
      return true;
    }
  }
  working_.store(false);
  next_ = Clock::now() + backoff_;
  backoff_ = std::min<std::chrono::seconds>(backoff_ * 2, std::chrono::seconds(300));
  return false;
}

void Announcer::run() {
  bool started = false;
  // `completed` means a seed: a download of some files only never sends
  // it (trackers would count it a seed), and its `left` stays above 0.
  bool completed_sent = s_.have.all();  // a seed from the start never 'completes'
  while (!s_.stop.load()) {
    if (started && !completed_sent && s_.have.all()) {
      // Not sent because the download stopped meanwhile: the final
      // announce below sends it.
      completed_sent = announce_round(AnnounceEvent::completed) || !s_.stop.load();
    }
    if (Clock::now() >= next_) started = announce_round(started ? AnnounceEvent::none : AnnounceEvent::started) || started;
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, kTick, [this] { return woken_; });
    woken_ = false;
  }
  if (started && !last_good_.empty()) {
    TrackerOptions quick = options_;
    quick.timeout = kStoppedDeadline;
    req_.left = s_.meta.total_size - static_cast<std::int64_t>(s_.counters.verified_bytes.load());
    req_.downloaded = static_cast<std::int64_t>(s_.counters.payload_received.load());
    req_.uploaded = static_cast<std::int64_t>(s_.counters.uploaded.load());
    const auto deadline = Clock::now() + kStoppedDeadline;  // both announces together
    if (!completed_sent && s_.have.all()) {
      // A download that stops as it completes still counts as completed
      // (the tracker's `downloaded` figure).
      req_.event = AnnounceEvent::completed;
      (void)transport_(last_good_, req_, quick, nullptr);
      quick.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    }
    req_.event = AnnounceEvent::stopped;
    if (quick.timeout.count() > 0) (void)transport_(last_good_, req_, quick, nullptr);
  }
  finished_.store(true);
  if (on_finished_) on_finished_();
}

}  // namespace fluxo
