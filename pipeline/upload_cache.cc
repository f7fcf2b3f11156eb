#include "pipeline/upload_cache.h"

#include <algorithm>

#include "core/sha1.h"

namespace fluxo {

UploadCache::UploadCache(const Metainfo& meta, FileStorage& storage, std::size_t max_bytes)
    : meta_(meta),
      storage_(storage),
      capacity_(std::max<std::size_t>(2, max_bytes / static_cast<std::size_t>(meta.piece_length))) {}

UploadCache::~UploadCache() {
  arena_.execute([this] { group_.wait(); });
}

void UploadCache::prefetch(PieceIndex piece) {
  {
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) {
      if (e.index == piece.value()) return;  // cached or on its way
    }
  }
  // A few at most: prefetching must not evict what is being sent.
  if (prefetching_.fetch_add(1) >= 4 || capacity_ < 8) {
    prefetching_.fetch_sub(1);
    return;
  }
  arena_.execute([this, piece] {
    group_.run([this, piece] {
      (void)get(piece);  // an error is reported again to the session that asks
      prefetching_.fetch_sub(1);
    });
  });
}

Result<UploadCache::Piece> UploadCache::get(PieceIndex piece) {
  std::unique_lock lock(mu_);
  while (true) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.index == piece.value(); });
    if (it == entries_.end()) break;
    if (it->loading) {
      loaded_.wait(lock);
      continue;  // the list may have changed: look again
    }
    if (!it->error.is_ok()) {
      Status e = it->error;
      entries_.erase(it);  // the next request tries again (it may have been repaired)
      return e;
    }
    entries_.splice(entries_.begin(), entries_, it);
    ++hits_;
    return it->data;
  }
  // Load it ourselves; others asking meanwhile wait for this entry.
  entries_.push_front(Entry{piece.value(), nullptr, true, Status::ok()});
  auto mine = entries_.begin();
  ++loads_;
  lock.unlock();

  auto buf = std::make_shared<std::vector<std::uint8_t>>(static_cast<std::size_t>(meta_.piece_size(piece)));
  Status st = storage_.read(static_cast<std::int64_t>(piece.value()) * meta_.piece_length, *buf);
  if (st && sha1(*buf) != meta_.piece_hash(piece)) {
    st = Status(ErrorCode::corrupt_data, "piece " + std::to_string(piece.value()) +
                                             " on disk no longer matches its hash");
  }

  lock.lock();
  mine->loading = false;
  if (st) {
    mine->data = buf;
  } else {
    mine->error = st;
  }
  // Evict least recently used pieces beyond the budget (never one loading).
  std::size_t n = entries_.size();
  for (auto it = std::prev(entries_.end()); n > capacity_ && it != entries_.begin();) {
    auto prev = std::prev(it);
    if (!it->loading && it != mine) {
      entries_.erase(it);
      --n;
    }
    it = prev;
  }
  loaded_.notify_all();
  if (!st) {
    entries_.erase(mine);
    return st;
  }
  return Piece(buf);
}

void UploadCache::forget(PieceIndex piece) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const Entry& e) { return e.index == piece.value() && !e.loading; });
}

std::uint64_t UploadCache::loads() const {
  std::lock_guard lock(mu_);
  return loads_;
}

std::uint64_t UploadCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

}  // namespace fluxo
