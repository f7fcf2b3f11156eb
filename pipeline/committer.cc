#include "pipeline/committer.h"

#include <algorithm>

namespace fluxo {

void Committer::on_verified(const std::shared_ptr<ActivePiece>& p) {
  if (s_.single_source.clear(p->index()) || blame_.has_evidence(p->index())) {
    for (const auto& ip : blame_.resolve(p->index(), block_digests(*p))) {
      ban(ip, "sent blocks that differ from the verified piece");
    }
  }
  const bool newly = s_.add_have(p->index());
  s_.completed.append(p->index());
  s_.counters.verified_bytes.fetch_add(p->size(), std::memory_order_relaxed);
  p->release_buffer();
  if (newly && on_complete_ && s_.done()) on_complete_();
}

void Committer::on_hash_failed(const std::shared_ptr<ActivePiece>& p) {
  s_.counters.hash_failures.fetch_add(1);
  // Who wrote the blocks as they are now (earlier writers' blocks may have
  // been discarded).
  auto sources = p->sources();
  auto who = p->block_sources();
  std::vector<std::uint16_t> writers(who);
  std::sort(writers.begin(), writers.end());
  writers.erase(std::unique(writers.begin(), writers.end()), writers.end());
  if (writers.size() == 1) {
    ban(sources[writers.front()], "sent a piece that failed verification");
  } else if (!writers.empty()) {
    auto digests = block_digests(*p);
    std::vector<BlockEvidence> evidence;
    evidence.reserve(digests.size());
    for (std::uint32_t b = 0; b < digests.size(); ++b) evidence.push_back({b, sources[who[b]], digests[b]});
    blame_.record_failure(p->index(), std::move(evidence));
    s_.single_source.set(p->index());
  }
  p->release_buffer();
  s_.picker.unclaim(p->index());  // fetched again
}

void Committer::on_write_failed(const std::shared_ptr<ActivePiece>& p, const Status& error) {
  {
    std::lock_guard lock(mu_);
    if (error_.is_ok()) error_ = error;
  }
  p->release_buffer();
  s_.picker.unclaim(p->index());
  s_.stop.store(true);
}

Status Committer::error() {
  std::lock_guard lock(mu_);
  return error_;
}

std::vector<Sha1Digest> Committer::block_digests(const ActivePiece& p) {
  std::vector<Sha1Digest> out;
  out.reserve(p.block_count());
  for (std::uint32_t b = 0; b < p.block_count(); ++b) {
    auto ref = p.block_ref(b);
    sha1_.update(std::span<const std::uint8_t>(p.data() + ref.begin, ref.length));
    out.push_back(sha1_.finish());
  }
  return out;
}

void Committer::ban(const std::string& ip, const char* why) {
  if (s_.ban(ip) && on_ban_) on_ban_(ip, why);
}

}  // namespace fluxo
