#include "pipeline/peer_book.h"

namespace fluxo {

std::string ip_of(std::string_view host_port) {
  if (!host_port.empty() && host_port.front() == '[') {
    auto close = host_port.find(']');
    std::string_view ip = host_port.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    // An IPv4 peer seen through an IPv6 socket is the same peer.
    if (ip.size() > 7 && (ip.substr(0, 7) == "::ffff:" || ip.substr(0, 7) == "::FFFF:") &&
        ip.find('.') != std::string_view::npos) {
      ip.remove_prefix(7);
    }
    return std::string(ip);
  }
  auto colon = host_port.rfind(':');
  if (colon != std::string_view::npos && host_port.find(':') == colon) return std::string(host_port.substr(0, colon));
  return std::string(host_port);  // a bare address (IPv6 without brackets has several colons)
}

std::size_t PeerBook::add(const std::vector<PeerAddress>& peers) {
  std::lock_guard lock(mu_);
  std::size_t added = 0;
  for (const auto& a : peers) {
    if (records_.size() >= max_records_) break;
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
    auto it = records_.find(key);
    if (it == records_.end()) continue;
    Record& r = it->second;
    if (r.connecting || r.forgotten) continue;
    if (banned_locked(r.address.host)) {
      records_.erase(it);
      continue;
    }
    if (r.next_try > now) {
      queue_.push_back(std::move(key));
      continue;
    }
    r.connecting = true;
    return r.address;
  }
  return std::nullopt;
}

bool PeerBook::candidate_due(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  for (const auto& key : queue_) {
    auto it = records_.find(key);
    if (it == records_.end()) continue;
    const Record& r = it->second;
    if (!r.connecting && !r.forgotten && r.next_try <= now && !banned_locked(r.address.host)) return true;
  }
  return false;
}

void PeerBook::disconnected(const PeerAddress& a, bool failed, Clock::time_point now, std::chrono::seconds retry) {
  std::lock_guard lock(mu_);
  std::string key = a.to_string();
  auto it = records_.find(key);
  if (it == records_.end()) return;
  Record& r = it->second;
  r.connecting = false;
  if (r.forgotten) return;
  r.failures = failed ? r.failures + 1 : 0;
  if (r.failures >= 3 || banned_locked(a.host)) {
    records_.erase(it);  // given up on; a tracker may list it again later
    return;
  }
  r.next_try = now + (failed ? std::chrono::seconds(1 << r.failures) : retry);  // 2 s, 4 s, then give up
  queue_.push_back(key);
}

void PeerBook::note_plain(const PeerAddress& a, bool plain) {
  std::lock_guard lock(mu_);
  auto it = records_.find(a.to_string());
  if (it != records_.end()) it->second.plain = plain;
}

bool PeerBook::plain_first(const PeerAddress& a) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(a.to_string());
  return it != records_.end() && it->second.plain;
}

void PeerBook::forget(const PeerAddress& a) {
  std::lock_guard lock(mu_);
  // Kept as a forgotten record, so a tracker listing it again adds nothing.
  Record& r = records_[a.to_string()];
  r.address = a;
  r.forgotten = true;
}

bool PeerBook::claim_peer_id(const std::string& ip, const wire::PeerId& id, const wire::PeerId& ours, bool outgoing,
                             std::uint32_t session, std::shared_ptr<std::atomic<bool>> drop) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = ids_.try_emplace({ip, id}, Owner{session, outgoing, drop});
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

void PeerBook::release_peer_id(const std::string& ip, const wire::PeerId& id, std::uint32_t session) {
  std::lock_guard lock(mu_);
  auto it = ids_.find({ip, id});
  if (it != ids_.end() && it->second.session == session) ids_.erase(it);
}

bool PeerBook::ban(const std::string& ip) {
  std::lock_guard lock(mu_);
  if (!bans_.insert(ip).second) return false;
  ban_order_.push_back(ip);
  while (bans_.size() > max_bans_) {
    bans_.erase(ban_order_.front());
    ban_order_.pop_front();
  }
  return true;
}

bool PeerBook::banned(const std::string& ip) const {
  std::lock_guard lock(mu_);
  return banned_locked(ip);
}

std::size_t PeerBook::known() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

std::size_t PeerBook::banned_count() const {
  std::lock_guard lock(mu_);
  return bans_.size();
}

}  // namespace fluxo
