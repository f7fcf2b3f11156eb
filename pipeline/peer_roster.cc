#include "pipeline/peer_roster.h"

#include <algorithm>

namespace fluxo {

bool PeerRoster::useless(const PeerLink& l, Clock::time_point now) const {
  if (l.drop->load(std::memory_order_relaxed)) return true;
  const auto idle = now - l.last_useful();
  if (idle < limits_.useless_after) return false;
  if (l.interested.load(std::memory_order_relaxed)) return false;
  return !l.wanted.load(std::memory_order_relaxed) || idle >= limits_.stingy_after;
}

bool PeerRoster::evict_locked(bool incoming_only, Clock::time_point now) {
  auto victim = links_.end();
  for (auto it = links_.begin(); it != links_.end(); ++it) {
    if (incoming_only && !(*it)->incoming) continue;
    if (!useless(**it, now)) continue;
    if (victim == links_.end() || (*it)->last_useful() < (*victim)->last_useful()) victim = it;
  }
  if (victim == links_.end()) return false;
  (*victim)->drop->store(true);
  links_.erase(victim);
  return true;
}

bool PeerRoster::admit(const std::shared_ptr<PeerLink>& link, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto same_ip = std::count_if(links_.begin(), links_.end(), [&](const auto& l) { return l->ip == link->ip; });
  if (static_cast<unsigned>(same_ip) >= limits_.per_ip) return false;
  if (link->incoming) {
    auto in = std::count_if(links_.begin(), links_.end(), [](const auto& l) { return l->incoming; });
    if (static_cast<unsigned>(in) >= limits_.incoming && !evict_locked(true, now)) return false;
  }
  if (links_.size() >= limits_.total && !evict_locked(false, now)) return false;
  links_.push_back(link);
  return true;
}

bool PeerRoster::evict_one(bool incoming_only, Clock::time_point now) {
  std::lock_guard lock(mu_);
  return evict_locked(incoming_only, now);
}

void PeerRoster::remove(const PeerLink* p) {
  std::lock_guard lock(mu_);
  std::erase_if(links_, [p](const auto& l) { return l.get() == p; });
}

std::size_t PeerRoster::drop_ip(const std::string& ip) {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& l : links_) {
    if (l->ip != ip) continue;
    l->drop->store(true);
    ++n;
  }
  std::erase_if(links_, [&](const auto& l) { return l->ip == ip; });
  return n;
}

std::vector<std::shared_ptr<PeerLink>> PeerRoster::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<PeerLink>> out;
  out.reserve(links_.size());
  for (const auto& l : links_) {
    if (l->ready.load(std::memory_order_acquire)) out.push_back(l);
  }
  return out;
}

std::size_t PeerRoster::size() const {
  std::lock_guard lock(mu_);
  return links_.size();
}

std::size_t PeerRoster::incoming() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(links_.begin(), links_.end(), [](const auto& l) { return l->incoming; }));
}

bool PeerRoster::full() const { return size() >= limits_.total; }
bool PeerRoster::incoming_full() const { return incoming() >= limits_.incoming; }

}  // namespace fluxo
