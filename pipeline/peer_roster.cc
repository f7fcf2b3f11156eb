#include "pipeline/peer_roster.h"

#include <algorithm>

namespace fluxo {

bool PeerRoster::useless(const PeerLink& l, Clock::time_point now) const {
  if (l.drop->load(std::memory_order_relaxed)) return true;
  // A connection still dialling or shaking hands has had no chance yet.
  if (!l.ready.load(std::memory_order_relaxed)) return false;
  const auto idle = now - l.last_useful();
  if (idle < limits_.useless_after) return false;
  // Interest either way protects a peer only while blocks flow now and then:
  // saying "interested" and never taking or giving anything is squatting.
  const bool interest = l.interested.load(std::memory_order_relaxed) || l.wanted.load(std::memory_order_relaxed);
  return !interest || idle >= limits_.stingy_after;
}

bool PeerRoster::evict_locked(bool incoming_only, Clock::time_point now) {
  auto victim = links_.end();
  for (auto it = links_.begin(); it != links_.end(); ++it) {
    if ((*it)->provisional.load() || (incoming_only && !(*it)->incoming)) continue;
    if (!useless(**it, now)) continue;
    if (victim == links_.end() || (*it)->last_useful() < (*victim)->last_useful()) victim = it;
  }
  if (victim == links_.end()) return false;
  (*victim)->drop_now();
  links_.erase(victim);
  evictions_.fetch_add(1);
  return true;
}

bool PeerRoster::fits_locked(const PeerLink& link) const {
  std::size_t regular = 0, in = 0;
  for (const auto& l : links_) {
    if (l.get() == &link || l->provisional.load()) continue;
    ++regular;
    in += l->incoming;
  }
  return regular < limits_.total && (!link.incoming || in < limits_.incoming);
}

bool PeerRoster::admit(const std::shared_ptr<PeerLink>& link, Clock::time_point now) {
  (void)now;
  std::lock_guard lock(mu_);
  auto same_ip = std::count_if(links_.begin(), links_.end(), [&](const auto& l) { return l->ip == link->ip; });
  if (static_cast<unsigned>(same_ip) >= limits_.per_ip) return false;
  if (!fits_locked(*link)) {
    auto waiting = std::count_if(links_.begin(), links_.end(), [](const auto& l) { return l->provisional.load(); });
    if (static_cast<unsigned>(waiting) >= limits_.probation) return false;
    link->provisional.store(true);
  }
  links_.push_back(link);
  return true;
}

bool PeerRoster::promote(PeerLink& link, Clock::time_point now) {
  if (!link.provisional.load()) return true;
  std::lock_guard lock(mu_);
  if (link.drop->load()) return false;
  if (!fits_locked(link)) {
    // Make room: first among connections of its own direction if that is
    // what is full, else among all.
    std::size_t in = 0;
    for (const auto& l : links_) in += !l->provisional.load() && l->incoming;
    const bool incoming_full = link.incoming && in >= limits_.incoming;
    if (!evict_locked(incoming_full, now)) return false;
    if (!fits_locked(link) && !evict_locked(false, now)) return false;
  }
  link.provisional.store(false);
  return true;
}

std::size_t PeerRoster::expire_probation(Clock::time_point now) {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& l : links_) {
    if (l->provisional.load() && now - l->connected_at >= limits_.probation_time) {
      l->drop_now();
      ++n;
    }
  }
  std::erase_if(links_, [](const auto& l) { return l->drop->load(); });
  return n;
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
    l->drop_now();
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


bool PeerRoster::full() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(links_.begin(), links_.end(), [](const auto& l) {
           return !l->provisional.load();
         })) >= limits_.total;
}

}  // namespace fluxo

namespace fluxo {

void PeerRoster::interrupt_all() {
  std::lock_guard lock(mu_);
  for (const auto& l : links_) l->interrupt();
}

}  // namespace fluxo
