#include "session/resume_keeper.h"

#include "core/file_selection.h"
#include "storage/resume_file.h"

namespace fluxo {

ResumeKeeper::ResumeKeeper(const Metainfo& meta, std::filesystem::path dir, Storage& storage, std::uint32_t saved,
                           std::function<void()> on_done, std::vector<bool> selected)
    : meta_(meta), dir_(std::move(dir)), storage_(storage), on_done_(std::move(on_done)),
      selected_(selects_less_than_all(meta, selected) ? std::move(selected) : std::vector<bool>{}), saved_(saved) {}

ResumeKeeper::~ResumeKeeper() { join(); }

void ResumeKeeper::join() {
  if (thread_.joinable()) thread_.join();
}

bool ResumeKeeper::save(const AtomicBitfield& have) {
  if (!idle() || have.count() == saved_.load()) return false;  // asked every tick: cheap first
  join();  // the last save's thread has ended
  // The snapshot comes first: a piece is in `have` only after its write
  // returned, and the sync below follows the snapshot, so every piece
  // listed is on disk when the record is.
  ResumeData r;
  r.info_hash = meta_.info_hash;
  r.pieces = Bitfield(meta_.piece_count());
  for (std::uint32_t i = 0; i < meta_.piece_count(); ++i) {
    if (have.test(PieceIndex(i))) r.pieces.set(PieceIndex(i));
  }
  if (r.pieces.count() == saved_.load()) return false;
  running_.store(true, std::memory_order_release);
  thread_ = std::thread([this, r = std::move(r)]() mutable {
    Status st = storage_.sync();
    if (st) {
      r.files = stamp_files(dir_, meta_);
      if (!selected_.empty()) {
        r.selected = selected_;
        r.parts = stamp_parts(dir_, meta_);
      }
      st = save_resume(dir_, meta_, r);
    }
    if (st) saved_.store(r.pieces.count());
    {
      std::lock_guard lock(mu_);
      error_ = st ? std::nullopt : std::optional<Status>(st);
    }
    running_.store(false, std::memory_order_release);
    if (on_done_) on_done_();
  });
  return true;
}

std::optional<Status> ResumeKeeper::take_error() {
  std::lock_guard lock(mu_);
  return std::exchange(error_, std::nullopt);
}

}  // namespace fluxo
