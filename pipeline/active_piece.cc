#include "pipeline/active_piece.h"

#include <atomic>

#include <algorithm>

namespace fluxo {

std::uint64_t ActivePiece::next_started() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

std::optional<wire::BlockRef> ActivePiece::request_block(unsigned max_requests,
                                                         const std::vector<wire::BlockRef>* exclude,
                                                         const BlockSet* rejected) {
  std::lock_guard lock(mu_);
  bool unrequested = false;  // a block nobody asked for, whether or not this caller may
  // A block nobody asked for comes first; a duplicate (end-game) is the
  // last one asked for: it sits at the back of its peer's queue, so a copy
  // from an idle peer is likely to come first and get the other cancelled,
  // where a copy of the front block would only arrive second.
  std::optional<std::uint32_t> duplicate;
  for (std::uint32_t b = 0; b < blocks_.size(); ++b) {
    Block& blk = blocks_[b];
    if (blk.state != State::empty) continue;
    if (blk.requests == 0) unrequested = true;
    if (blk.requests >= max_requests) continue;
    wire::BlockRef ref = block_ref(b);
    if (exclude && std::find(exclude->begin(), exclude->end(), ref) != exclude->end()) continue;
    if (rejected && rejected->count(block_key(ref))) continue;
    if (blk.requests > 0) {
      duplicate = b;
      continue;
    }
    ++blk.requests;
    return ref;
  }
  if (!unrequested) open_.store(false, std::memory_order_relaxed);
  if (duplicate) {
    ++blocks_[*duplicate].requests;
    return block_ref(*duplicate);
  }
  return std::nullopt;
}

void ActivePiece::release_buffer() {
  PieceBuffer gone;
  {
    std::lock_guard lock(mu_);
    sealed_ = true;
    gone = std::move(buffer_);
  }
}

void ActivePiece::return_block(std::uint32_t begin) {
  std::lock_guard lock(mu_);
  Block& blk = blocks_[begin / wire::kBlockSize];
  if (blk.requests > 0) --blk.requests;
  open_.store(true, std::memory_order_relaxed);
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
  if (!sealed_) reset_locked();
}

// Everything goes back to empty; a block still being copied is withdrawn
// (its writer's block_written() discards it), so no stale writer can land
// in the fresh start.
void ActivePiece::reset_locked() {
  open_.store(true, std::memory_order_relaxed);
  for (Block& b : blocks_) {
    b.requests = 0;
    b.state = b.state == State::writing || b.state == State::dropped ? State::dropped : State::empty;
  }
  written_ = 0;
}

ActivePiece::Claim ActivePiece::begin_block(std::uint32_t begin, std::uint32_t length, std::string_view source) {
  if (begin % wire::kBlockSize != 0 || begin >= size_) return {Arrival::invalid, 0};
  std::uint32_t b = begin / wire::kBlockSize;
  if (length != block_ref(b).length) return {Arrival::invalid, 0};
  std::lock_guard lock(mu_);
  Block& blk = blocks_[b];
  if (blk.requests > 0) --blk.requests;
  if (sealed_ || blk.state != State::empty) return {Arrival::duplicate, 0};
  if (std::find(dropped_.begin(), dropped_.end(), source) != dropped_.end()) return {Arrival::duplicate, 0};
  auto it = std::find(sources_.begin(), sources_.end(), source);
  if (it == sources_.end()) {
    sources_.emplace_back(source);
    it = std::prev(sources_.end());
  }
  blk.state = State::writing;
  blk.source = static_cast<std::uint16_t>(it - sources_.begin());
  blk.token = ++next_token_;
  return {Arrival::write, blk.token};
}

ActivePiece::Written ActivePiece::block_written(std::uint32_t begin, std::uint32_t token) {
  std::lock_guard lock(mu_);
  Block& blk = blocks_[begin / wire::kBlockSize];
  if (blk.token != token) return Written::discarded;  // not this writer's claim any more
  if (blk.state == State::dropped) {
    blk.state = State::empty;  // withdrawn while it was copying
    open_.store(true, std::memory_order_relaxed);
    return Written::discarded;
  }
  if (blk.state != State::writing) return Written::discarded;
  blk.state = State::done;
  if (++written_ < blocks_.size()) return Written::more;
  sealed_ = true;
  return Written::complete;
}

void ActivePiece::abort_block(std::uint32_t begin, std::uint32_t token) {
  std::lock_guard lock(mu_);
  Block& blk = blocks_[begin / wire::kBlockSize];
  if (blk.token == token && (blk.state == State::writing || blk.state == State::dropped)) {
    blk.state = State::empty;
    open_.store(true, std::memory_order_relaxed);
  }
}

bool ActivePiece::has_block(std::uint32_t begin) const {
  std::lock_guard lock(mu_);
  return blocks_[begin / wire::kBlockSize].state == State::done;
}

std::uint32_t ActivePiece::drop_source(std::string_view source) {
  std::lock_guard lock(mu_);
  if (sealed_) return 0;
  if (std::find(dropped_.begin(), dropped_.end(), source) == dropped_.end()) dropped_.emplace_back(source);
  auto it = std::find(sources_.begin(), sources_.end(), source);
  if (it == sources_.end()) return 0;
  const auto s = static_cast<std::uint16_t>(it - sources_.begin());
  std::uint32_t dropped = 0;
  open_.store(true, std::memory_order_relaxed);
  for (Block& b : blocks_) {
    if (b.source != s) continue;
    if (b.state == State::done) {
      b.state = State::empty;
      --written_;
      ++dropped;
    } else if (b.state == State::writing) {
      b.state = State::dropped;  // its writer's block_written() discards it
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
