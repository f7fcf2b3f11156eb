#include "pipeline/upload_cache.h"

#include <algorithm>

#include "core/sha1.h"

namespace fluxo {

UploadCache::UploadCache(const Metainfo& meta, Storage& storage, std::size_t max_bytes, Spawn spawn)
    : meta_(meta),
      storage_(storage),
      capacity_(max_bytes / static_cast<std::size_t>(meta.piece_length)),
      spawn_(std::move(spawn)) {}

UploadCache::~UploadCache() {
  std::unique_lock lock(prefetch_mu_);
  prefetch_done_.wait(lock, [this] { return prefetching_ == 0; });
}

void UploadCache::prefetch(PieceIndex piece) {
  if (capacity_ < 8 || !spawn_) return;  // prefetching must not evict what is being sent
  {
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) {
      if (e.index == piece.value()) return;  // cached or on its way
    }
  }
  {
    std::lock_guard lock(prefetch_mu_);
    if (prefetching_ >= 4) return;  // a few at most
    ++prefetching_;
  }
  spawn_([this, piece] {
    try {
      (void)get(piece);  // an error is reported again to the session that asks
    } catch (const std::exception&) {
      // (out of memory): the peer's own request will try again
    }
    std::lock_guard lock(prefetch_mu_);  // notified under the lock: the cache may go right after
    --prefetching_;
    prefetch_done_.notify_all();
  });
}

Result<UploadCache::Piece> UploadCache::load(PieceIndex piece) {
  auto buf = std::make_shared<std::vector<std::uint8_t>>(static_cast<std::size_t>(meta_.piece_size(piece)));
  bytes_read_.fetch_add(buf->size(), std::memory_order_relaxed);
  Status st = storage_.read(static_cast<std::int64_t>(piece.value()) * meta_.piece_length, *buf);
  if (!st) return st;
  if (sha1(*buf) != meta_.piece_hash(piece)) {
    return Status(ErrorCode::corrupt_data,
                  "piece " + std::to_string(piece.value()) + " on disk no longer matches its hash");
  }
  return Piece(std::move(buf));
}

bool UploadCache::evict_one() {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (!it->loading) {
      entries_.erase(std::next(it).base());
      return true;
    }
  }
  return false;
}

Result<UploadCache::Piece> UploadCache::get(PieceIndex piece) {
  if (capacity_ == 0) {
    {
      std::lock_guard lock(mu_);
      ++loads_;
    }
    return load(piece);  // too large to keep: the caller holds it while it needs it
  }
  std::unique_lock lock(mu_);
  while (true) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.index == piece.value(); });
    if (it != entries_.end()) {
      if (it->loading) {
        loaded_.wait(lock);
        continue;  // the list may have changed: look again
      }
      entries_.splice(entries_.begin(), entries_, it);
      ++hits_;
      return it->data;
    }
    // A slot for it: free, or freed by evicting the least recently used
    // piece; when every slot is loading, wait for one to finish.
    if (entries_.size() < capacity_ || evict_one()) break;
    loaded_.wait(lock);
  }
  // Load it ourselves; others asking meanwhile wait for this entry.
  entries_.push_front(Entry{piece.value(), nullptr, true, Status::ok()});
  auto mine = entries_.begin();
  ++loads_;
  peak_ = std::max(peak_, entries_.size());
  lock.unlock();

  auto got = load(piece);

  lock.lock();
  mine->loading = false;
  if (got) {
    mine->data = *got;
  } else {
    entries_.erase(mine);  // the next request tries again (it may have been repaired)
  }
  loaded_.notify_all();
  return got;
}

Result<UploadCache::Block> UploadCache::get_block(PieceIndex piece, std::uint32_t begin, std::uint32_t length) {
  if (piece.value() >= meta_.piece_count() ||
      std::int64_t{begin} + length > meta_.piece_size(piece)) {
    return Status(ErrorCode::invalid_argument, "block outside piece " + std::to_string(piece.value()));
  }
  if (capacity_ > 0) {
    auto p = get(piece);
    if (!p) return p.status();
    return Block{*p, std::span<const std::uint8_t>(p.value()->data() + begin, length)};
  }
  // The piece does not fit the budget: this block alone, trusting the
  // verification that put the piece in the caller's `have`.
  auto buf = std::make_shared<std::vector<std::uint8_t>>(length);
  block_reads_.fetch_add(1, std::memory_order_relaxed);
  bytes_read_.fetch_add(length, std::memory_order_relaxed);
  const std::int64_t at = static_cast<std::int64_t>(piece.value()) * meta_.piece_length + begin;
  if (Status st = storage_.read(at, *buf); !st) return st;
  std::span<const std::uint8_t> bytes(buf->data(), buf->size());
  return Block{std::move(buf), bytes};
}

void UploadCache::forget(PieceIndex piece) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const Entry& e) { return e.index == piece.value() && !e.loading; });
  loaded_.notify_all();  // a slot may have come free
}

std::uint64_t UploadCache::loads() const {
  std::lock_guard lock(mu_);
  return loads_;
}

std::uint64_t UploadCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

std::uint64_t UploadCache::block_reads() const { return block_reads_.load(std::memory_order_relaxed); }

std::uint64_t UploadCache::bytes_read() const { return bytes_read_.load(std::memory_order_relaxed); }

std::size_t UploadCache::peak_pieces() const {
  std::lock_guard lock(mu_);
  return peak_;
}

}  // namespace fluxo
