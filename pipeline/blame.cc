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
  Evidence& kept = it->second;
  for (auto& b : blocks) {
    if (kept.records >= max_blocks_) break;
    // The same block from the same source with the same bytes tells nothing new.
    auto& sent = kept.blocks[b.block];
    bool known = std::any_of(sent.begin(), sent.end(),
                             [&](const auto& k) { return k.first == b.source && k.second == b.digest; });
    if (known) continue;
    sent.emplace_back(std::move(b.source), b.digest);
    ++kept.records;
  }
}

std::vector<std::string> BlameBook::resolve(PieceIndex piece, const std::vector<Sha1Digest>& good) {
  std::vector<std::string> liars;
  auto it = pieces_.find(piece.value());
  if (it == pieces_.end()) return liars;
  for (const auto& [block, sent] : it->second.blocks) {
    if (block >= good.size()) continue;
    for (const auto& [source, digest] : sent) {
      if (digest == good[block]) continue;
      if (std::find(liars.begin(), liars.end(), source) == liars.end()) liars.push_back(source);
    }
  }
  pieces_.erase(it);
  std::erase(order_, piece.value());
  return liars;
}

}  // namespace fluxo
