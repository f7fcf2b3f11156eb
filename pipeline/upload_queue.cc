#include "pipeline/upload_queue.h"

#include <algorithm>

#include "pipeline/rate_limiter.h"
#include "pipeline/upload_cache.h"

namespace fluxo {
namespace {

using wire::BlockRef;
using wire::MsgId;

// Per UploadQueue::kAbuseWindow:
constexpr std::uint32_t kMaxRequestsWhileChoked = 2048;  // it may not have seen our choke yet
constexpr std::uint32_t kMaxBadRequests = 64;            // for pieces we do not have (or lost)
constexpr std::uint32_t kMaxStrayCancels = 4096;         // cancels for requests we do not hold

Status violation(const std::string& who, const std::string& what) {
  return Status(ErrorCode::protocol_error, who + ": " + what);
}

void put_simple(MsgId id, std::vector<std::uint8_t>& out) {
  std::size_t at = out.size();
  out.resize(at + wire::kSimpleSize);
  wire::encode_simple(id, out.data() + at);
}

}  // namespace

void UploadQueue::reject(const BlockRef& r, std::vector<std::uint8_t>& out) const {
  if (!fast_) return;  // without BEP 6 an unserved request is simply dropped
  std::size_t at = out.size();
  out.resize(at + wire::kBlockRefSize);
  wire::encode_block_ref(MsgId::reject, r, out.data() + at);
}

void UploadQueue::sync_choke(std::vector<std::uint8_t>& out) {
  bool want = link_.unchoke.load(std::memory_order_relaxed);
  if (want && choking_) {
    put_simple(MsgId::unchoke, out);
    choking_ = false;
  } else if (!want && !choking_) {
    put_simple(MsgId::choke, out);
    choking_ = true;
    for (const auto& r : queue_) reject(r, out);  // BEP 6: every dropped request is answered
    queue_.clear();
  }
}

Status UploadQueue::on_request(const BlockRef& r, std::vector<std::uint8_t>& out) {
  if (r.piece.value() >= s_.meta.piece_count()) {
    return violation(who_, "request for piece " + std::to_string(r.piece.value()) + ", out of range");
  }
  if (r.length == 0 || r.length > wire::kBlockSize) {
    return violation(who_, "request for " + std::to_string(r.length) + " bytes");
  }
  if (std::uint64_t{r.begin} + r.length > static_cast<std::uint64_t>(s_.meta.piece_size(r.piece))) {
    return violation(who_, "request past the end of piece " + std::to_string(r.piece.value()));
  }
  if (choking_) {
    if (requests_while_choked_.add(WindowCounter::Clock::now()) > kMaxRequestsWhileChoked) {
      return violation(who_, "request flood while choked");
    }
    reject(r, out);
    return Status::ok();
  }
  if (upload_ == nullptr || !s_.have.test(r.piece)) {
    if (bad_requests_.add(WindowCounter::Clock::now()) > kMaxBadRequests) {
      return violation(who_, "requests for pieces we do not have");
    }
    reject(r, out);
    return Status::ok();
  }
  if (queue_.size() >= kMaxQueue) return violation(who_, "request flood");
  if (r.piece.value() != last_prefetch_) {
    // A new piece: have it read and checked while earlier blocks go out.
    last_prefetch_ = r.piece.value();
    if (serving_index_ != r.piece.value()) upload_->prefetch(r.piece);
  }
  queue_.push_back(r);
  return Status::ok();
}

Status UploadQueue::on_cancel(const BlockRef& r, std::vector<std::uint8_t>& out) {
  auto it = std::find(queue_.begin(), queue_.end(), r);
  if (it == queue_.end()) {
    // Already sent, or never asked: harmless unless it is a flood.
    if (stray_cancels_.add(WindowCounter::Clock::now()) > kMaxStrayCancels) return violation(who_, "cancel flood");
    return Status::ok();
  }
  queue_.erase(it);
  reject(r, out);  // BEP 6: a cancelled request is answered
  return Status::ok();
}

Result<bool> UploadQueue::serve(PeerStream& socket, std::vector<std::uint8_t>& out) {
  if (!ready()) return false;
  std::size_t count = 0;
  std::uint64_t bytes = 0;
  iov_.clear();
  if (!out.empty()) iov_.push_back({out.data(), out.size()});
  while (count < kBatch && !queue_.empty()) {
    BlockRef r = queue_.front();
    queue_.pop_front();
    if (!s_.have.test(r.piece)) {  // lost since it was queued
      unserved_.push_back(r);
      continue;
    }
    auto block = upload_->get_block(r.piece, r.begin, r.length);
    if (!block) {
      if (s_.on_piece_lost && block.status().code() != ErrorCode::invalid_argument) {
        s_.on_piece_lost(r.piece, block.status());
      }
      unserved_.push_back(r);
      continue;
    }
    serving_index_ = r.piece.value();
    if (limit_) limit_->acquire(r.length, s_.stop);
    held_[count] = std::move(block->owner);  // alive until the write is done
    wire::encode_piece_header(r, heads_[count].data());
    iov_.push_back({heads_[count].data(), heads_[count].size()});
    iov_.push_back({const_cast<std::uint8_t*>(block->bytes.data()), r.length});
    bytes += r.length;
    ++count;
  }
  const bool wrote = !iov_.empty();
  Status st = wrote ? socket.send_all(iov_) : Status::ok();
  out.clear();
  for (std::size_t i = 0; i < count; ++i) held_[i].reset();
  for (const auto& r : unserved_) reject(r, out);
  unserved_.clear();
  if (!st) return st;
  link_.uploaded.fetch_add(bytes, std::memory_order_relaxed);
  s_.counters.uploaded.fetch_add(bytes, std::memory_order_relaxed);
  return wrote;
}

}  // namespace fluxo
