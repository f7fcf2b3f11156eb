// A torrent's resume data, kept current without blocking the supervisor:
// saves run on a thread of their own, one at a time. A save snapshots the
// verified pieces first, then syncs the storage (so every listed piece is on
// disk), stamps the files and writes DIR/.fluxo/<info-hash>.resume
// atomically (storage/resume_file.h). The supervisor asks for a save every
// few seconds while pieces arrive and once at the end, and learns how the
// last one went from take_error().
//
// Thread-safety: the supervisor's thread only; the saving thread touches
// only the storage (whose sync() may run beside the pipeline's writes) and
// the files.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/atomic_bitfield.h"
#include "core/bitfield.h"
#include "core/metainfo.h"
#include "core/status.h"
#include "storage/storage.h"

namespace fluxo {

class ResumeKeeper {
 public:
  // `saved` is what the resume data on disk lists already (nothing is
  // saved until more is verified). `on_done`, if set, is called on the
  // keeper's thread after each save (the owner's wake-up).
  // `selected`: the files selected (one flag per file; empty: all),
  // recorded with the pieces.
  ResumeKeeper(const Metainfo& meta, std::filesystem::path dir, Storage& storage, std::uint32_t saved,
               std::function<void()> on_done = {}, std::vector<bool> selected = {});
  ~ResumeKeeper();  // waits for a save under way
  ResumeKeeper(const ResumeKeeper&) = delete;
  ResumeKeeper& operator=(const ResumeKeeper&) = delete;

  // Starts a save of `have` unless one is under way or nothing changed
  // since the last. True if one started.
  bool save(const AtomicBitfield& have);
  // No save under way.
  bool idle() const { return !running_.load(std::memory_order_acquire); }
  // The outcome of the last finished save, once (nullopt: none since, or it
  // went well).
  std::optional<Status> take_error();
  // Pieces listed by the last good save.
  std::uint32_t saved() const { return saved_.load(); }

 private:
  void join();
  const Metainfo& meta_;
  const std::filesystem::path dir_;
  Storage& storage_;
  std::function<void()> on_done_;
  const std::vector<bool> selected_;
  std::atomic<std::uint32_t> saved_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  std::mutex mu_;
  std::optional<Status> error_;  // guarded by mu_
};

}  // namespace fluxo
