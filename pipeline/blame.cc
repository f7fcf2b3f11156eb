#include "pipeline/blame.h"

#include <algorithm>

namespace fluxo {

void BlameBook::record_failure(PieceIndex piece, std::vector<BlockEvidence> blocks) {
  auto [it, inserted] = pieces_.try_emplace(piece.value());
  if (inserted) {
    order_.push_back(piece.value());
    while (pieces_.size() > max_pieces_) {
      pieces_.erase(order_.front());
      order_.pop_front();
    }
    it = pieces_.find(piece.value());
    if (it == pieces_.end()) return;  // max_pieces_ == 0
  }
  auto& kept = it->second;
  for (auto& b : blocks) {
    if (kept.size() >= max_blocks_) break;
    // The same block from the same source with the same bytes tells nothing new.
    bool known = std::any_of(kept.begin(), kept.end(), [&](const BlockEvidence& k) {
      return k.block == b.block && k.source == b.source && k.digest == b.digest;
    });
    if (!known) kept.push_back(std::move(b));
  }
}

std::vector<std::string> BlameBook::resolve(PieceIndex piece, const std::vector<Sha1Digest>& good) {
  std::vector<std::string> liars;
  auto it = pieces_.find(piece.value());
  if (it == pieces_.end()) return liars;
  for (const auto& e : it->second) {
    if (e.block >= good.size() || e.digest == good[e.block]) continue;
    if (std::find(liars.begin(), liars.end(), e.source) == liars.end()) liars.push_back(e.source);
  }
  pieces_.erase(it);
  std::erase(order_, piece.value());
  return liars;
}

}  // namespace fluxo
