#include "pipeline/verifier.h"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace fluxo {
namespace {

// Reads the torrent's byte stream piece by piece for hash_pieces(). A piece
// that cannot be read is handed on as zeros and remembered, so one missing
// file does not stop the recheck of the others. Large pieces are read in
// chunks, so a cancel is seen within one chunk's read.
class StorageSource : public PieceSource {
 public:
  static constexpr std::size_t kChunk = 8u << 20;

  StorageSource(const Metainfo& m, Storage& s, const std::atomic<bool>* cancel, const Bitfield* only)
      : meta_(m), storage_(s), cancel_(cancel), only_(only) {}

  bool skip(std::uint64_t piece, std::uint32_t size) override {
    if (only_ == nullptr || only_->test(PieceIndex(static_cast<std::uint32_t>(piece)))) return false;
    offset_ += size;
    return true;
  }

  Status read(std::span<std::uint8_t> out) override {
    const std::int64_t at = offset_;
    offset_ += static_cast<std::int64_t>(out.size());
    auto piece = static_cast<std::uint32_t>(at / meta_.piece_length);
    bool ok = true;
    for (std::size_t done = 0; ok && done < out.size(); done += kChunk) {
      if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
        return Status(ErrorCode::cancelled, "recheck cancelled");
      }
      const std::size_t n = std::min(kChunk, out.size() - done);
      ok = storage_.read(at + static_cast<std::int64_t>(done), out.subspan(done, n)).is_ok();
    }
    if (!ok) {
      std::memset(out.data(), 0, out.size());
      unreadable_.push_back(piece);
    } else if (std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0; })) {
      zeros_.push_back(piece);
    }
    return Status::ok();
  }

  bool unreadable(std::uint32_t piece) const { return std::binary_search(unreadable_.begin(), unreadable_.end(), piece); }
  bool zeros(std::uint32_t piece) const { return std::binary_search(zeros_.begin(), zeros_.end(), piece); }

 private:
  const Metainfo& meta_;
  Storage& storage_;
  const std::atomic<bool>* cancel_;
  const Bitfield* only_;
  std::int64_t offset_ = 0;
  std::vector<std::uint32_t> unreadable_;  // in piece order (reads are sequential)
  std::vector<std::uint32_t> zeros_;
};

}  // namespace

Result<VerifyReport> verify_pieces(const Metainfo& meta, Storage& storage, const HashOptions& options,
                                   const Bitfield* only) {
  StorageSource source(meta, storage, options.cancel, only);
  auto digests = hash_pieces(source, meta.total_size, meta.piece_length, options);
  if (!digests) return digests.status();
  VerifyReport report;
  report.complete = Bitfield(meta.piece_count());
  for (std::uint32_t i = 0; i < meta.piece_count(); ++i) {
    PieceIndex p(i);
    if (only != nullptr && !only->test(p)) continue;
    Sha1Digest d{};
    std::memcpy(d.data(), digests->data() + std::size_t{i} * d.size(), d.size());
    if (source.unreadable(i)) {
      report.missing.push_back(i);
    } else if (d == meta.piece_hash(p)) {
      report.complete.set(p);
      report.complete_bytes += meta.piece_size(p);
    } else if (source.zeros(i)) {
      report.missing.push_back(i);
    } else {
      report.corrupt.push_back(i);
    }
  }
  return report;
}

}  // namespace fluxo
