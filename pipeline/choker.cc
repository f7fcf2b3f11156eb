#include "pipeline/choker.h"

#include <algorithm>

namespace fluxo {
namespace {

const ChokeCandidate* find(std::span<const ChokeCandidate> peers, std::uint32_t id) {
  for (const auto& p : peers) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

bool contains(const std::vector<std::uint32_t>& v, std::uint32_t id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

}  // namespace

std::uint32_t Choker::pick_optimistic(std::span<const ChokeCandidate> peers, const std::vector<std::uint32_t>& regular,
                                      Clock::time_point now) {
  std::vector<std::pair<std::uint32_t, unsigned>> pool;  // (id, weight)
  unsigned total = 0;
  for (const auto& p : peers) {
    if (!p.interested || contains(regular, p.id)) continue;
    unsigned w = now - p.connected_at < cfg_.newcomer ? 3 : 1;
    pool.emplace_back(p.id, w);
    total += w;
  }
  if (pool.empty()) return UINT32_MAX;
  unsigned r = std::uniform_int_distribution<unsigned>(0, total - 1)(rng_);
  for (const auto& [id, w] : pool) {
    if (r < w) return id;
    r -= w;
  }
  return pool.back().first;
}

std::vector<std::uint32_t> Choker::decide(std::span<const ChokeCandidate> peers, bool seeding,
                                          Clock::time_point now) {
  auto rate = [seeding](const ChokeCandidate& p) { return seeding ? p.upload_rate : p.download_rate; };
  // Peers that may hold a regular slot, best first. Shuffling before the
  // stable sort breaks ties (all rates 0 at the start) at random.
  std::vector<const ChokeCandidate*> ranked;
  for (const auto& p : peers) {
    if (p.interested && !(p.snubbed && !seeding)) ranked.push_back(&p);
  }
  std::shuffle(ranked.begin(), ranked.end(), rng_);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](const ChokeCandidate* a, const ChokeCandidate* b) { return rate(*a) > rate(*b); });

  const bool full = !started_ || now - last_rechoke_ >= cfg_.rechoke;
  if (full) {
    started_ = true;
    last_rechoke_ = now;
    regular_.clear();
    for (const auto* p : ranked) {
      if (regular_.size() >= cfg_.slots) break;
      regular_.push_back(p->id);
    }
  } else {
    // Keep everyone who still wants data; fill the free slots.
    std::erase_if(regular_, [&](std::uint32_t id) {
      const auto* p = find(peers, id);
      return p == nullptr || !p->interested;
    });
    for (const auto* p : ranked) {
      if (regular_.size() >= cfg_.slots) break;
      if (!contains(regular_, p->id) && p->id != optimistic_) regular_.push_back(p->id);
    }
  }

  const auto* opt = optimistic_ == UINT32_MAX ? nullptr : find(peers, optimistic_);
  bool rotate = opt == nullptr || !opt->interested || contains(regular_, optimistic_) ||
                (full && now - last_optimistic_ >= cfg_.optimistic);
  if (rotate) {
    optimistic_ = pick_optimistic(peers, regular_, now);
    last_optimistic_ = now;
  }

  std::vector<std::uint32_t> out = regular_;
  if (optimistic_ != UINT32_MAX) out.push_back(optimistic_);
  return out;
}

}  // namespace fluxo
