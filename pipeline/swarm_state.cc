#include "pipeline/swarm_state.h"

#include <algorithm>

namespace fluxo {

void ActiveRegistry::add(std::shared_ptr<ActivePiece> p) {
  std::lock_guard lock(mu_);
  pieces_.push_back(std::move(p));
}

void ActiveRegistry::remove(const ActivePiece* p) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(pieces_.begin(), pieces_.end(), [p](const auto& e) { return e.get() == p; });
  if (it != pieces_.end()) {
    *it = std::move(pieces_.back());
    pieces_.pop_back();
  }
}

std::shared_ptr<ActivePiece> ActiveRegistry::find_work(const Bitfield& has, unsigned max_requests,
                                                       const std::vector<wire::BlockRef>& mine,
                                                       wire::BlockRef& out) {
  std::lock_guard lock(mu_);
  for (const auto& p : pieces_) {
    if (!has.test(p->index())) continue;
    if (auto b = p->request_block(max_requests, &mine)) {
      out = *b;
      return p;
    }
  }
  return nullptr;
}

std::string ActiveRegistry::debug_string() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& p : pieces_) out += p->debug_string() + " ";
  return out;
}

std::size_t ActiveRegistry::size() const {
  std::lock_guard lock(mu_);
  return pieces_.size();
}

std::size_t PeerBook::add(const std::vector<PeerAddress>& peers) {
  std::lock_guard lock(mu_);
  std::size_t added = 0;
  for (const auto& a : peers) {
    std::string key = a.to_string();
    if (records_.count(key)) continue;
    records_[key].address = a;
    queue_.push_back(key);
    ++added;
  }
  return added;
}

std::optional<PeerAddress> PeerBook::next_candidate(Clock::time_point now) {
  std::lock_guard lock(mu_);
  for (std::size_t n = queue_.size(); n > 0; --n) {
    std::string key = std::move(queue_.front());
    queue_.pop_front();
    Record& r = records_[key];
    if (r.banned || r.connecting) continue;
    if (r.next_try > now) {
      queue_.push_back(std::move(key));
      continue;
    }
    r.connecting = true;
    return r.address;
  }
  return std::nullopt;
}

void PeerBook::disconnected(const PeerAddress& a, bool failed, Clock::time_point now) {
  std::lock_guard lock(mu_);
  std::string key = a.to_string();
  Record& r = records_[key];
  r.connecting = false;
  if (r.banned || r.forgotten) return;
  r.failures = failed ? r.failures + 1 : 0;
  if (r.failures >= 3) return;  // given up on
  r.next_try = now + std::chrono::seconds(failed ? 1 << r.failures : 2);  // 2 s, 4 s, then give up
  queue_.push_back(key);
}

void PeerBook::forget(const PeerAddress& a) {
  std::lock_guard lock(mu_);
  records_[a.to_string()].forgotten = true;
}

bool PeerBook::claim_peer_id(const wire::PeerId& id, const wire::PeerId& ours, bool outgoing, std::uint32_t session,
                             std::shared_ptr<std::atomic<bool>> drop) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = ids_.try_emplace(id, Owner{session, outgoing, drop});
  if (inserted) return true;
  Owner& old = it->second;
  if (old.outgoing == outgoing) return false;  // a plain duplicate: the first stays
  // One connection each way: keep the one the lower peer id initiated.
  const wire::PeerId& initiator = outgoing ? ours : id;
  const wire::PeerId& other = outgoing ? id : ours;
  if (!(initiator < other)) return false;
  if (old.drop) old.drop->store(true);
  old = Owner{session, outgoing, std::move(drop)};
  return true;
}

void PeerBook::release_peer_id(const wire::PeerId& id, std::uint32_t session) {
  std::lock_guard lock(mu_);
  auto it = ids_.find(id);
  if (it != ids_.end() && it->second.session == session) ids_.erase(it);
}

bool PeerBook::strike(const std::string& address, unsigned ban_after) {
  std::lock_guard lock(mu_);
  Record& r = records_[address];
  if (r.banned) return false;
  if (++r.strikes >= ban_after) {
    r.banned = true;
    return true;
  }
  return false;
}

bool PeerBook::banned(const std::string& address) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(address);
  return it != records_.end() && it->second.banned;
}

std::size_t PeerBook::known() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

std::size_t PeerBook::banned_count() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(records_.begin(), records_.end(),
                                                [](const auto& e) { return e.second.banned; }));
}

SwarmState::SwarmState(const Metainfo& m, std::size_t pool_pieces)
    : meta(m),
      have(m.piece_count()),
      claimed(m.piece_count()),
      picker(m.piece_count(), have, claimed),
      pool(static_cast<std::size_t>(m.piece_length), pool_pieces),
      completed(m.piece_count()) {}

void PeerRoster::add(std::shared_ptr<PeerLink> p) {
  std::lock_guard lock(mu_);
  links_.push_back(std::move(p));
}

void PeerRoster::remove(const PeerLink* p) {
  std::lock_guard lock(mu_);
  std::erase_if(links_, [p](const auto& l) { return l.get() == p; });
}

std::vector<std::shared_ptr<PeerLink>> PeerRoster::snapshot() const {
  std::lock_guard lock(mu_);
  return links_;
}

}  // namespace fluxo
