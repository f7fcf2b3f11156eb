#include "pipeline/active_piece.h"

#include <algorithm>

namespace fluxo {

std::optional<wire::BlockRef> ActivePiece::request_block(unsigned max_requests,
                                                         const std::vector<wire::BlockRef>* mine) {
  std::lock_guard lock(mu_);
  for (std::uint32_t b = 0; b < blocks_.size(); ++b) {
    Block& blk = blocks_[b];
    if (blk.arrived || blk.requests >= max_requests) continue;
    wire::BlockRef ref = block_ref(b);
    if (mine && std::find(mine->begin(), mine->end(), ref) != mine->end()) continue;
    ++blk.requests;
    return ref;
  }
  return std::nullopt;
}

void ActivePiece::return_block(std::uint32_t begin) {
  std::lock_guard lock(mu_);
  Block& blk = blocks_[begin / wire::kBlockSize];
  if (blk.requests > 0) --blk.requests;
}

ActivePiece::Arrival ActivePiece::begin_block(std::uint32_t begin, std::uint32_t length,
                                              std::uint32_t peer) {
  if (begin % wire::kBlockSize != 0 || begin >= size_) return Arrival::invalid;
  std::uint32_t b = begin / wire::kBlockSize;
  if (length != block_ref(b).length) return Arrival::invalid;
  std::lock_guard lock(mu_);
  Block& blk = blocks_[b];
  if (blk.requests > 0) --blk.requests;
  if (blk.arrived) return Arrival::duplicate;
  blk.arrived = true;
  if (std::find(contributors_.begin(), contributors_.end(), peer) == contributors_.end()) {
    contributors_.push_back(peer);
  }
  return Arrival::write;
}

bool ActivePiece::block_written() {
  std::lock_guard lock(mu_);
  return ++written_ == blocks_.size();
}

void ActivePiece::abort_block(std::uint32_t begin) {
  std::lock_guard lock(mu_);
  blocks_[begin / wire::kBlockSize].arrived = false;
}

bool ActivePiece::has_block(std::uint32_t begin) const {
  std::lock_guard lock(mu_);
  return blocks_[begin / wire::kBlockSize].arrived;
}

std::string ActivePiece::debug_string() const {
  std::lock_guard lock(mu_);
  std::string out = std::to_string(index_.value()) + ":";
  for (const Block& b : blocks_) out += b.arrived ? 'A' : static_cast<char>('0' + std::min<int>(b.requests, 9));
  return out;
}

std::vector<std::uint32_t> ActivePiece::contributors() const {
  std::lock_guard lock(mu_);
  return contributors_;
}

}  // namespace fluxo
