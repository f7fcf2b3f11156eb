#include "pipeline/active_piece.h"

#include <algorithm>

namespace fluxo {

std::optional<wire::BlockRef> ActivePiece::request_block(unsigned max_requests,
                                                         const std::vector<wire::BlockRef>* exclude) {
  std::lock_guard lock(mu_);
  for (std::uint32_t b = 0; b < blocks_.size(); ++b) {
    Block& blk = blocks_[b];
    if (blk.state != State::empty || blk.requests >= max_requests) continue;
    wire::BlockRef ref = block_ref(b);
    if (exclude && std::find(exclude->begin(), exclude->end(), ref) != exclude->end()) continue;
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

ActivePiece::Access ActivePiece::adopt(std::uint32_t session) {
  if (!single_source_) return Access::shared;
  std::lock_guard lock(mu_);
  if (!owner_) {
    owner_ = session;
    return Access::adopted;
  }
  return *owner_ == session ? Access::owner : Access::denied;
}

void ActivePiece::disown(std::uint32_t session) {
  if (!single_source_) return;
  std::lock_guard lock(mu_);
  if (owner_ != session) return;
  owner_.reset();
  reset_locked();
}

void ActivePiece::reset_locked() {
  for (Block& b : blocks_) b = Block{};
  written_ = 0;
  sources_.clear();
}

ActivePiece::Arrival ActivePiece::begin_block(std::uint32_t begin, std::uint32_t length, std::string_view source) {
  if (begin % wire::kBlockSize != 0 || begin >= size_) return Arrival::invalid;
  std::uint32_t b = begin / wire::kBlockSize;
  if (length != block_ref(b).length) return Arrival::invalid;
  std::lock_guard lock(mu_);
  Block& blk = blocks_[b];
  if (blk.requests > 0) --blk.requests;
  if (blk.state != State::empty) return Arrival::duplicate;
  auto it = std::find(sources_.begin(), sources_.end(), source);
  if (it == sources_.end()) {
    sources_.emplace_back(source);
    it = std::prev(sources_.end());
  }
  blk.state = State::writing;
  blk.source = static_cast<std::uint16_t>(it - sources_.begin());
  return Arrival::write;
}

ActivePiece::Written ActivePiece::block_written(std::uint32_t begin) {
  std::lock_guard lock(mu_);
  Block& blk = blocks_[begin / wire::kBlockSize];
  if (blk.state != State::writing) {
    blk.state = State::empty;  // its source was dropped meanwhile
    return Written::discarded;
  }
  blk.state = State::done;
  return ++written_ == blocks_.size() ? Written::complete : Written::more;
}

void ActivePiece::abort_block(std::uint32_t begin) {
  std::lock_guard lock(mu_);
  blocks_[begin / wire::kBlockSize].state = State::empty;
}

bool ActivePiece::has_block(std::uint32_t begin) const {
  std::lock_guard lock(mu_);
  return blocks_[begin / wire::kBlockSize].state == State::done;
}

std::uint32_t ActivePiece::drop_source(std::string_view source) {
  std::lock_guard lock(mu_);
  auto it = std::find(sources_.begin(), sources_.end(), source);
  if (it == sources_.end()) return 0;
  const auto s = static_cast<std::uint16_t>(it - sources_.begin());
  std::uint32_t dropped = 0;
  for (Block& b : blocks_) {
    if (b.source != s) continue;
    if (b.state == State::done) {
      b.state = State::empty;
      --written_;
      ++dropped;
    } else if (b.state == State::writing) {
      b.state = State::dropped;  // block_written() discards it
      ++dropped;
    }
  }
  return dropped;
}

std::string ActivePiece::debug_string() const {
  std::lock_guard lock(mu_);
  std::string out = std::to_string(index_.value()) + ":";
  for (const Block& b : blocks_) {
    out += b.state == State::done ? 'A' : b.state != State::empty ? 'W'
                                                                   : static_cast<char>('0' + std::min<int>(b.requests, 9));
  }
  return out;
}

std::vector<std::string> ActivePiece::sources() const {
  std::lock_guard lock(mu_);
  return sources_;
}

std::vector<std::uint16_t> ActivePiece::block_sources() const {
  std::lock_guard lock(mu_);
  std::vector<std::uint16_t> out;
  out.reserve(blocks_.size());
  for (const Block& b : blocks_) out.push_back(b.source);
  return out;
}

}  // namespace fluxo
