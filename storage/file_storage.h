// Maps a torrent's byte stream onto its files inside a download directory and
// writes (and reads) spans of it with positional I/O.
//
// Files are created only at the metainfo's sanitized paths below `root`, with
// O_NOFOLLOW on the last component so a planted symlink is not written
// through; they are sparse (never preallocated). Pad files (BEP 47) are
// skipped. Descriptors are opened lazily and a bounded number stay open.
//
// Thread-safety: one thread at a time (in a download, the pipeline's serial
// writer stage). The descriptor cache has a mutex, but a descriptor it hands
// out may be closed by the next call that evicts it.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/metainfo.h"
#include "core/status.h"

namespace fluxo {

class FileStorage {
 public:
  // Creates the directory tree and the empty files; nothing else is written.
  static Result<std::unique_ptr<FileStorage>> open(const Metainfo& m, const std::filesystem::path& root,
                                                   std::size_t max_open_files = 64);
  ~FileStorage();

  // Writes `iov` (total bytes = the span's length) at stream offset `offset`,
  // splitting it across files: one pwritev per file touched.
  Status write(std::int64_t offset, std::span<const iovec> iov);
  // Reads out.size() bytes at stream offset `offset`.
  Status read(std::int64_t offset, std::span<std::uint8_t> out);
  // fdatasync of every open file.
  Status sync();

  std::filesystem::path path_of(std::size_t file) const { return root_ / files_[file].path; }

 private:
  struct File {
    std::string path;
    std::int64_t offset;
    std::int64_t size;
    bool pad;
  };
  FileStorage(std::filesystem::path root, std::vector<File> files, std::size_t max_open)
      : root_(std::move(root)), files_(std::move(files)), max_open_(max_open) {}
  Result<int> fd_for(std::size_t file);
  std::size_t first_file_at(std::int64_t offset) const;

  std::filesystem::path root_;
  std::vector<File> files_;
  std::size_t max_open_;
  std::mutex mu_;
  std::vector<std::pair<std::size_t, int>> open_;  // (file, fd), most recent last; guarded by mu_
};

}  // namespace fluxo
