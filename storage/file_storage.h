// Maps a torrent's byte stream onto its files inside a download directory and
// writes (and reads) spans of it with positional I/O.
//
// Writes stay beneath the download directory DIR. DIR is opened once (it may
// itself be a link the user made); every directory and file below it is
// resolved component by component without following symbolic links
// (storage/beneath.h), when the tree is created and whenever a descriptor is
// reopened, the O_DIRECT one included. A link, or anything that is not a
// directory where one is needed, is an io_error naming the path ("out/t/sub:
// is a symbolic link; refusing to follow it"); a FIFO, device or directory
// where a file belongs is refused before any byte is read or written. Pad
// files (BEP 47) are skipped.
//
// Preallocation (StorageOptions::preallocate): the empty files get their
// blocks reserved at open (fallocate with FALLOC_FL_KEEP_SIZE: a file's size
// still grows only as data lands, so nothing mistakes it for written data;
// blocks a previous run reserved are not asked for again). Writes then fill
// allocated blocks instead of each page being reserved on its way into the
// page cache and allocated at writeback, which took ~6 % of the time and
// CPU of a bulk download (50 x 8 MiB). The files' missing bytes together are
// compared with the free space first: a disk without the room is an io_error
// at open ("not enough free space") before any block is taken, not a failed
// write halfway; a reservation that fails anyway (a quota, a race) gives back
// what it took. A filesystem without fallocate leaves the files sparse.
//
// Descriptors are opened lazily and a bounded number stay open.
//
// Writers lock: open() for writing takes DIR/.fluxo/lock's ranges for the
// torrent and for each file (storage/write_lock.h) before creating anything,
// and holds them for the storage's lifetime, so a second run writing the same
// torrent or the same file fails at once ("out/x.bin is being written by
// another fluxo process").
//
// Direct I/O (StorageOptions::direct_io): the 4 KiB-aligned middle of each
// write goes through a second descriptor opened with O_DIRECT, straight from
// the caller's buffers when they are aligned (the piece pool's are) or through
// an aligned bounce buffer when a file starts at an odd stream offset; the
// unaligned head and tail go through the page cache. This skips the page-cache
// copy that costs ~3 CPU s per GiB on a VM. A filesystem that refuses O_DIRECT
// (EINVAL) switches the storage back to buffered writes for good; reads are
// always buffered (the kernel keeps the two coherent). A write smaller than
// StorageOptions::direct_min goes through the page cache whole: a direct write waits for the
// device, and torrents of 16 KiB pieces, whose runs break between torrents
// and peers, spent more time waiting than copying (50 x 8 MiB: 3.6 s direct,
// 2.2 s buffered).
//
// Durability: a file joins the dirty set only after its write returned, and
// sync() takes the set before syncing, so every write that returned before
// sync() was called is on disk when it returns ok.
//
// Thread-safety: write() and sync() from one thread at a time (in a download,
// the pipeline's serial writer stage); read() from any number of threads at
// once (peers uploading), alongside the writer. Descriptors are shared
// handles: one evicted from the cache stays open until its last user is done.
//
// Some files only (StorageOptions::selected, core/file_selection.h): files
// not selected are not created. The bytes of theirs that share a piece with
// a selected file are written to and read from the partial-piece area,
// DIR/.fluxo/<info-hash>.parts (made, beneath DIR, when first written), laid
// out by partial_piece_ranges(); any other byte of theirs is an io_error.
//
// Read-only storage (StorageOptions::read_only, for seeding and verifying)
// creates, writes and locks nothing: missing directories and files are read
// errors. It reads what the user has put in DIR, so it follows links in the
// directories below DIR (a torrent directory that links to a library works);
// the file itself must not be a link (O_NOFOLLOW) and must be a regular file.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <cstdlib>
#include <mutex>
#include <span>
#include <vector>

#include "core/file_selection.h"
#include "core/metainfo.h"
#include "core/status.h"
#include "storage/beneath.h"
#include "storage/storage.h"

namespace fluxo {

struct StorageOptions {
  // One flag per file: which files to create and write (empty: all). Not for
  // read-only storage.
  std::vector<bool> selected{};
  std::size_t max_open_files = 64;
  bool direct_io = false;
  std::size_t direct_min = 256 * 1024;  // smaller writes go through the page cache
  bool preallocate = false;  // reserve new files' blocks (see above); writers only
  bool read_only = false;
};

class FileStorage : public Storage {
 public:
  static constexpr std::size_t kDirectAlign = 4096;

  // Creates the directory tree and the empty files; nothing else is written.
  // For writing: takes the locks first (a conflict is an io_error and nothing
  // is created).
  static Result<std::unique_ptr<FileStorage>> open(const Metainfo& m, const std::filesystem::path& root,
                                                   StorageOptions options = {});
  ~FileStorage() override;

  // Writes `iov` (total bytes = the span's length) at stream offset `offset`,
  // splitting it across files: one pwritev per file touched.
  Status write(std::int64_t offset, std::span<const iovec> iov) override;
  // Reads out.size() bytes at stream offset `offset`.
  Status read(std::int64_t offset, std::span<std::uint8_t> out) override;
  // fdatasync of every file written since the last sync (open or not). Any
  // thread; what was written before the call is on disk when it returns ok.
  Status sync() override;
  // Puts every file that may hold data (not pad, not empty) in the dirty set,
  // so the next sync() flushes data this storage did not write itself (a
  // previous run's, found by a recheck) before resume data lists it. No-op
  // for read-only storage.
  void mark_all_dirty();

  std::filesystem::path path_of(std::size_t file) const { return root_ / rel_path(file); }
  // The partial-piece area (whether it exists or not).
  std::filesystem::path parts_path() const { return root_ / parts_name_; }
  // Whether writes still use O_DIRECT (false once a filesystem refused it).
  bool direct_io() const { return direct_; }
  // Bytes written through O_DIRECT, and of those how many through the bounce buffer.
  std::uint64_t direct_bytes() const { return direct_bytes_; }
  std::uint64_t bounced_bytes() const { return bounced_bytes_; }
  // fdatasync calls made by sync() so far (one per dirty file).
  std::uint64_t files_synced() const;

 private:
  struct File {
    std::string path;
    std::int64_t offset;
    std::int64_t size;
    bool pad;
    bool selected;
  };
  struct Handles {
    int fd = -1;
    int direct_fd = -1;  // opened by the writer when first needed
    ~Handles();
  };
  struct OpenFile {
    std::size_t file;
    std::shared_ptr<Handles> handles;
  };
  FileStorage(std::filesystem::path root, UniqueFd root_fd, UniqueFd lock, std::vector<File> files,
              StorageOptions o)
      : root_(std::move(root)), root_fd_(std::move(root_fd)), lock_(std::move(lock)), files_(std::move(files)),
        max_open_(o.max_open_files), direct_(o.direct_io), direct_min_(o.direct_min), read_only_(o.read_only) {}
  // Descriptor slot files_.size() is the partial-piece area.
  std::size_t parts_slot() const { return files_.size(); }
  const std::string& rel_path(std::size_t file) const {
    return file == parts_slot() ? parts_name_ : files_[file].path;
  }
  // Bytes [pos, pos + n) of the stream, which lie in unselected file f,
  // written from (read into) iov bytes from `from` on: through the
  // partial-piece area.
  Status write_parts(std::size_t f, std::int64_t pos, std::int64_t n, std::span<const iovec> iov, std::size_t from);
  Status read_parts(std::size_t f, std::int64_t pos, std::span<std::uint8_t> out);
  Status read_span(std::size_t slot, std::int64_t at, std::span<std::uint8_t> out);
  Result<std::shared_ptr<Handles>> open_file(std::size_t file);
  std::size_t first_file_at(std::int64_t offset) const;
  // Writes `n` bytes from `iov` at file offset `at` of file `f`.
  Status write_file(std::size_t f, std::int64_t at, std::span<iovec> iov);
  Status write_direct(std::size_t f, std::int64_t at, std::span<iovec> iov, std::size_t n);
  // Opens file f's path for the writer: beneath root_fd_, never through a link.
  Result<UniqueFd> open_for_write(std::size_t file, int flags);
  void mark_dirty(std::size_t file);

  std::filesystem::path root_;
  UniqueFd root_fd_;  // DIR, for writers (-1 when read-only)
  UniqueFd lock_;     // DIR/.fluxo/lock, holding our ranges (-1 when read-only)
  std::vector<File> files_;
  std::vector<PartRange> parts_;  // empty unless some file is not selected
  std::string parts_name_;        // ".fluxo/<info-hash>.parts"
  std::size_t max_open_;
  bool direct_;
  std::size_t direct_min_;
  bool read_only_;
  std::uint64_t direct_bytes_ = 0;
  std::uint64_t bounced_bytes_ = 0;
  struct FreeAligned {
    void operator()(std::uint8_t* p) const;
  };
  std::unique_ptr<std::uint8_t, FreeAligned> bounce_;  // kBounceSize bytes, aligned; made on first use
  mutable std::mutex mu_;
  std::vector<OpenFile> open_;  // most recent last; guarded by mu_
  std::vector<bool> dirty_;     // written since the last sync; guarded by mu_
  std::uint64_t files_synced_ = 0;  // guarded by mu_
};

}  // namespace fluxo
