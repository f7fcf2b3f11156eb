#include "storage/file_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "storage/write_lock.h"

namespace fluxo {
namespace fs = std::filesystem;

namespace {

Status errno_status(const fs::path& p, const char* what) {
  return Status(ErrorCode::io_error, p.string() + ": " + what + ": " + std::strerror(errno));
}

constexpr std::size_t kBounceSize = 4u << 20;

// Positional gather-write of every byte in `iov`, resuming after partial
// writes. Returns 0 or an errno value.
int pwrite_all(int fd, std::span<iovec> iov, std::int64_t at) {
  std::size_t ci = 0;
  while (ci < iov.size()) {
    ssize_t w = ::pwritev(fd, iov.data() + ci, static_cast<int>(std::min<std::size_t>(iov.size() - ci, IOV_MAX)), at);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    at += w;
    auto left = static_cast<std::size_t>(w);
    while (ci < iov.size() && left >= iov[ci].iov_len) {
      left -= iov[ci].iov_len;
      ++ci;
    }
    if (ci < iov.size() && left > 0) {
      iov[ci].iov_base = static_cast<std::uint8_t*>(iov[ci].iov_base) + left;
      iov[ci].iov_len -= left;
    }
  }
  return 0;
}

// The iovecs covering bytes [from, from + len) of `iov`, appended to `out`.
void slice(std::span<const iovec> iov, std::size_t from, std::size_t len, std::vector<iovec>& out) {
  for (const iovec& v : iov) {
    if (len == 0) break;
    if (from >= v.iov_len) {
      from -= v.iov_len;
      continue;
    }
    std::size_t take = std::min(len, v.iov_len - from);
    out.push_back({static_cast<std::uint8_t*>(v.iov_base) + from, take});
    len -= take;
    from = 0;
  }
}

bool aligned(const std::vector<iovec>& iov, std::size_t a) {
  for (const iovec& v : iov) {
    if (reinterpret_cast<std::uintptr_t>(v.iov_base) % a != 0 || v.iov_len % a != 0) return false;
  }
  return true;
}

// BEP 47 symlink at `path` pointing at `target` (both relative to root,
// sanitized, the target without '..': see metainfo.h), written as a path
// relative to the link's own directory so the tree can move. The link's
// directory is made beneath root like any file's. Whatever is at `path`
// already stays: an equal link is what we want, anything else is not ours
// to replace.
Status make_symlink(int root_fd, const fs::path& root, const std::string& path, const std::string& target) {
  const std::size_t slash = path.rfind('/');
  const std::string parent = slash == std::string::npos ? std::string() : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto dir = open_dir_beneath(root_fd, root, parent, true);
  if (!dir) return Status(ErrorCode::io_error, dir.status().message());
  std::vector<std::string_view> from, to;
  for (std::string_view p = parent; !p.empty();) {
    const std::size_t s = p.find('/');
    from.push_back(p.substr(0, s));
    p = s == std::string_view::npos ? std::string_view() : p.substr(s + 1);
  }
  for (std::string_view p = target; !p.empty();) {
    const std::size_t s = p.find('/');
    to.push_back(p.substr(0, s));
    p = s == std::string_view::npos ? std::string_view() : p.substr(s + 1);
  }
  std::size_t common = 0;
  while (common < from.size() && common < to.size() && from[common] == to[common]) ++common;
  std::string content;
  for (std::size_t i = common; i < from.size(); ++i) {
    if (!content.empty()) content.push_back('/');
    content += "..";
  }
  for (std::size_t i = common; i < to.size(); ++i) {
    if (!content.empty()) content.push_back('/');
    content += to[i];
  }
  if (content.empty()) content.push_back('.');  // the link's own directory
  if (::symlinkat(content.c_str(), dir->get(), name.c_str()) == 0 || errno == EEXIST) return Status::ok();
  return errno_status(root / path, "cannot create symlink");
}

// Bytes a file still needs reserved: none unless it is empty (a file with
// data is a previous run's, left as it is), less what a previous run
// reserved already.
std::int64_t unreserved(int fd, std::int64_t size) {
  struct stat st {};
  if (size <= 0 || ::fstat(fd, &st) != 0 || st.st_size != 0) return 0;
  return std::max<std::int64_t>(0, size - static_cast<std::int64_t>(st.st_blocks) * 512);
}

// Free bytes for this process (root may use the blocks kept for it), or -1
// when the filesystem does not say.
std::int64_t free_bytes(int fd) {
  struct statvfs vs {};
  if (::fstatvfs(fd, &vs) != 0 || vs.f_frsize == 0) return -1;
  const auto blocks = static_cast<std::uint64_t>(::geteuid() == 0 ? vs.f_bfree : vs.f_bavail);
  const std::uint64_t bytes = blocks > UINT64_MAX / vs.f_frsize ? UINT64_MAX : blocks * vs.f_frsize;
  return static_cast<std::int64_t>(std::min<std::uint64_t>(bytes, INT64_MAX));
}

// `p`: the torrent's file, or its directory when it has several.
Status no_room(const fs::path& p, std::int64_t need, int e) {
  return Status(ErrorCode::io_error, p.string() + ": not enough free space for the " + std::to_string(need) +
                                         " bytes still to reserve (" + std::strerror(e) + ")");
}

// Preallocation (see the header): the files' missing bytes together are
// compared with the free space before any block is taken (fallocate would
// take every free block before it failed, and every other writer on the
// disk would see it full meanwhile); a reservation that fails anyway (a
// quota, a race) gives back what this call reserved. A filesystem without
// fallocate leaves the files sparse.
Status reserve_space(int root_fd, const fs::path& root, const Metainfo& m, const std::vector<std::size_t>& files,
                     std::int64_t need) {
  if (files.empty()) return Status::ok();
  const std::int64_t avail = free_bytes(root_fd);
  if (avail >= 0 && need > avail) return no_room(root / m.name, need, ENOSPC);
  auto undo = [&](std::size_t upto) {
    for (std::size_t k = 0; k < upto; ++k) {
      auto fd = open_file_beneath(root_fd, root, m.files[files[k]].path, O_WRONLY);
      struct stat st {};
      // Blocks past the end go with a truncate to the size it still has.
      if (fd && ::fstat(fd->get(), &st) == 0 && st.st_size == 0) (void)::ftruncate(fd->get(), 0);
    }
  };
  for (std::size_t k = 0; k < files.size(); ++k) {
    const FileEntry& f = m.files[files[k]];
    auto fd = open_file_beneath(root_fd, root, f.path, O_WRONLY);
    if (!fd) {
      undo(k);
      return Status(ErrorCode::io_error, fd.status().message());
    }
    int r;
    do {
      r = ::fallocate(fd->get(), FALLOC_FL_KEEP_SIZE, 0, f.size);
    } while (r != 0 && errno == EINTR);
    if (r == 0) continue;
    const int e = errno;
    if (e != ENOSPC && e != EDQUOT) return Status::ok();  // no fallocate here: sparse, as before
    (void)::ftruncate(fd->get(), 0);
    undo(k);
    return no_room(root / m.name, need, e);
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<FileStorage>> FileStorage::open(const Metainfo& m, const fs::path& root,
                                                       StorageOptions options) {
  options.max_open_files = std::max<std::size_t>(options.max_open_files, 1);
  std::vector<File> files;
  files.reserve(m.files.size());
  const bool choosing = !options.read_only && !options.selected.empty();
  if (choosing && options.selected.size() != m.files.size()) {
    return Status(ErrorCode::invalid_argument, "file selection of the wrong size");
  }
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    const FileEntry& f = m.files[i];
    files.push_back({f.path, f.offset, f.size, f.pad, !choosing || options.selected[i]});
  }
  if (options.read_only) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return Status(ErrorCode::io_error, root.string() + ": no such directory");
    std::unique_ptr<FileStorage> s(new FileStorage(root, UniqueFd(), UniqueFd(), std::move(files), options));
    s->parts_name_ = ".fluxo/" + m.info_hash.hex() + ".parts";
    return s;
  }
  auto dir = open_root_dir(root, true);
  if (!dir) return Status(ErrorCode::io_error, dir.status().message());
  // Locks before anything is created: a conflict leaves no trace.
  auto lock = lock_for_writing(dir->get(), root, m);
  if (!lock) return lock.status();
  // Files usually come grouped by directory: reuse the last one's descriptor.
  std::string_view last_parent;
  UniqueFd parent_fd;
  std::vector<std::size_t> reserve;  // files to preallocate
  std::int64_t need = 0;             // and the bytes they still need
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    const FileEntry& f = m.files[i];
    if (!f.regular() || !files[i].selected) continue;
    const std::size_t slash = f.path.rfind('/');
    const std::string_view parent = slash == std::string::npos ? std::string_view() : std::string_view(f.path).substr(0, slash);
    if (!parent_fd || parent != last_parent) {
      auto d = open_dir_beneath(dir->get(), root, parent, true);
      if (!d) return Status(ErrorCode::io_error, d.status().message());
      parent_fd = std::move(*d);
      last_parent = parent;
    }
    const std::string name = slash == std::string::npos ? f.path : f.path.substr(slash + 1);
    auto fd = open_regular_at(parent_fd.get(), root / f.path, name.c_str(), O_WRONLY | O_CREAT);
    if (!fd) return Status(ErrorCode::io_error, fd.status().message());
    if (options.preallocate) {
      if (std::int64_t n = unreserved(fd->get(), f.size); n > 0) {
        reserve.push_back(i);
        need += n;
      }
    }
  }
  if (Status st = reserve_space(dir->get(), root, m, reserve, need); !st) return st;
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    const FileEntry& f = m.files[i];
    if (f.symlink && !f.symlink_target.empty() && files[i].selected) {
      if (Status s = make_symlink(dir->get(), root, f.path, f.symlink_target); !s) return s;
    }
  }
  std::unique_ptr<FileStorage> s(new FileStorage(root, std::move(*dir), std::move(*lock), std::move(files), options));
  s->parts_name_ = ".fluxo/" + m.info_hash.hex() + ".parts";
  if (choosing) s->parts_ = partial_piece_ranges(m, options.selected);
  return s;
}

void FileStorage::FreeAligned::operator()(std::uint8_t* p) const { std::free(p); }

FileStorage::Handles::~Handles() {
  if (fd >= 0) ::close(fd);
  if (direct_fd >= 0) ::close(direct_fd);
}

FileStorage::~FileStorage() = default;

Result<std::shared_ptr<FileStorage::Handles>> FileStorage::open_file(std::size_t file) {
  std::lock_guard lock(mu_);
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->file == file) {
      std::rotate(it, it + 1, open_.end());
      return open_.back().handles;
    }
  }
  auto h = std::make_shared<Handles>();
  if (read_only_) {
    const fs::path p = root_ / rel_path(file);
    auto fd = open_regular_at(AT_FDCWD, p, p.c_str(), O_RDONLY);
    if (!fd) return Status(ErrorCode::io_error, fd.status().message());
    h->fd = fd->release();
  } else {
    auto fd = open_for_write(file, O_RDWR | O_CREAT);
    if (!fd) return fd.status();
    h->fd = fd->release();
  }
  if (open_.size() >= max_open_) open_.erase(open_.begin());  // closed when its last user lets go
  open_.push_back({file, h});
  return h;
}

Result<UniqueFd> FileStorage::open_for_write(std::size_t file, int flags) {
  auto fd = open_file_beneath(root_fd_.get(), root_, rel_path(file), flags);
  if (!fd) {
    const int e = errno;
    Status s(ErrorCode::io_error, fd.status().message());
    errno = e;  // write_direct tells a filesystem without O_DIRECT (EINVAL) from the rest
    return s;
  }
  return fd;
}

void FileStorage::mark_dirty(std::size_t file) {
  std::lock_guard lock(mu_);
  if (dirty_.size() != files_.size() + 1) dirty_.resize(files_.size() + 1);
  dirty_[file] = true;
}

void FileStorage::mark_all_dirty() {
  if (read_only_) return;
  std::lock_guard lock(mu_);
  if (dirty_.size() != files_.size() + 1) dirty_.resize(files_.size() + 1);
  for (std::size_t f = 0; f < files_.size(); ++f) {
    if (!files_[f].pad && files_[f].selected && files_[f].size > 0) dirty_[f] = true;
  }
  if (!parts_.empty()) dirty_[parts_slot()] = true;
}

std::size_t FileStorage::first_file_at(std::int64_t offset) const {
  // The last file whose offset is <= offset (empty files share offsets).
  auto it = std::upper_bound(files_.begin(), files_.end(), offset,
                             [](std::int64_t off, const File& f) { return off < f.offset; });
  return static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, (it - files_.begin()) - 1));
}

Status FileStorage::write(std::int64_t offset, std::span<const iovec> iov) {
  std::int64_t total = 0;
  for (const iovec& v : iov) total += static_cast<std::int64_t>(v.iov_len);
  std::int64_t pos = offset;  // stream position
  std::int64_t end = offset + total;
  std::vector<iovec> chunk;
  for (std::size_t f = first_file_at(offset); pos < end && f < files_.size(); ++f) {
    const File& file = files_[f];
    if (file.size == 0 || pos >= file.offset + file.size) continue;
    std::int64_t n = std::min(end, file.offset + file.size) - pos;
    if (!file.pad && !file.selected) {
      if (Status s = write_parts(f, pos, n, iov, static_cast<std::size_t>(pos - offset)); !s) return s;
    } else if (!file.pad) {
      chunk.clear();
      slice(iov, static_cast<std::size_t>(pos - offset), static_cast<std::size_t>(n), chunk);
      if (Status s = write_file(f, pos - file.offset, chunk); !s) return s;
    }
    pos += n;
  }
  if (pos != end) return Status(ErrorCode::io_error, "write past the end of the torrent");
  return Status::ok();
}

Status FileStorage::write_file(std::size_t f, std::int64_t at, std::span<iovec> iov) {
  std::size_t n = 0;
  for (const iovec& v : iov) n += v.iov_len;
  const auto a = static_cast<std::int64_t>(kDirectAlign);
  const std::int64_t mid_begin = (at + a - 1) / a * a;
  const std::int64_t mid_end = (at + static_cast<std::int64_t>(n)) / a * a;
  if (direct_ && n >= direct_min_ && mid_end > mid_begin) {
    // Head and tail through the page cache, the aligned middle direct.
    std::vector<iovec> part;
    auto head = static_cast<std::size_t>(mid_begin - at);
    auto mid = static_cast<std::size_t>(mid_end - mid_begin);
    if (head > 0) {
      slice(iov, 0, head, part);
      if (Status s = write_file(f, at, part); !s) return s;  // no aligned middle: buffered
    }
    part.clear();
    slice(iov, head, mid, part);
    if (Status s = write_direct(f, mid_begin, part, mid); !s) return s;
    if (head + mid < n) {
      part.clear();
      slice(iov, head + mid, n - head - mid, part);
      return write_file(f, mid_end, part);
    }
    return Status::ok();
  }
  if (read_only_) return Status(ErrorCode::io_error, "storage opened read-only");
  auto o = open_file(f);
  if (!o) return o.status();
  const int e = pwrite_all((*o)->fd, iov, at);
  // Dirty only once the write returned (even a failed one may have landed in
  // part): a sync() that took the set earlier must not be the one counted on.
  mark_dirty(f);
  if (e != 0) {
    errno = e;
    return errno_status(root_ / rel_path(f), "write failed");
  }
  return Status::ok();
}

Status FileStorage::write_direct(std::size_t f, std::int64_t at, std::span<iovec> iov, std::size_t n) {
  auto o = open_file(f);
  if (!o) return o.status();
  Handles& of = **o;
  const fs::path p = root_ / rel_path(f);
  auto fall_back = [&] {
    direct_ = false;
    return write_file(f, at, iov);
  };
  if (of.direct_fd < 0) {
    auto fd = open_for_write(f, O_WRONLY | O_DIRECT);
    if (!fd) {
      if (errno == EINVAL) return fall_back();  // the filesystem has no O_DIRECT
      return fd.status();
    }
    of.direct_fd = fd->release();
  }
  std::vector<iovec> part(iov.begin(), iov.end());
  if (aligned(part, kDirectAlign)) {
    int e = pwrite_all(of.direct_fd, part, at);
    mark_dirty(f);
    if (e == EINVAL) return fall_back();
    if (e != 0) {
      errno = e;
      return errno_status(p, "write failed");
    }
    direct_bytes_ += n;
    return Status::ok();
  }
  // Buffers out of step with the file's alignment (a file that starts at an
  // odd stream offset): copy through an aligned buffer, still skipping the
  // page cache.
  if (!bounce_) {
    void* mem = std::aligned_alloc(kDirectAlign, kBounceSize);
    if (!mem) return fall_back();
    bounce_.reset(static_cast<std::uint8_t*>(mem));
  }
  std::size_t done = 0;
  while (done < n) {
    std::size_t len = std::min(kBounceSize, n - done);
    part.clear();
    slice(iov, done, len, part);
    std::size_t copied = 0;
    for (const iovec& v : part) {
      std::memcpy(bounce_.get() + copied, v.iov_base, v.iov_len);
      copied += v.iov_len;
    }
    iovec one{bounce_.get(), len};
    int e = pwrite_all(of.direct_fd, {&one, 1}, at + static_cast<std::int64_t>(done));
    mark_dirty(f);
    if (e == EINVAL && done == 0) return fall_back();
    if (e != 0) {
      errno = e;
      return errno_status(p, "write failed");
    }
    done += len;
  }
  direct_bytes_ += n;
  bounced_bytes_ += n;
  return Status::ok();
}

Status FileStorage::read(std::int64_t offset, std::span<std::uint8_t> out) {
  std::int64_t pos = offset;
  std::int64_t end = offset + static_cast<std::int64_t>(out.size());
  std::size_t done = 0;
  for (std::size_t f = first_file_at(offset); pos < end && f < files_.size(); ++f) {
    const File& file = files_[f];
    if (file.size == 0 || pos >= file.offset + file.size) continue;
    auto n = static_cast<std::size_t>(std::min(end, file.offset + file.size) - pos);
    if (file.pad) {
      std::memset(out.data() + done, 0, n);
    } else if (!file.selected) {
      if (Status s = read_parts(f, pos, out.subspan(done, n)); !s) return s;
    } else {
      if (Status s = read_span(f, pos - file.offset, out.subspan(done, n)); !s) return s;
    }
    done += n;
    pos += static_cast<std::int64_t>(n);
  }
  if (pos != end) return Status(ErrorCode::io_error, "read past the end of the torrent");
  return Status::ok();
}

Status FileStorage::read_span(std::size_t slot, std::int64_t at, std::span<std::uint8_t> out) {
  auto o = open_file(slot);
  if (!o) return o.status();
  const int fd = (*o)->fd;
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t r = ::pread(fd, out.data() + got, out.size() - got, at + static_cast<std::int64_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno_status(root_ / rel_path(slot), "read failed");
    if (r == 0) return Status(ErrorCode::io_error, (root_ / rel_path(slot)).string() + ": shorter than expected");
    got += static_cast<std::size_t>(r);
  }
  return Status::ok();
}

// The runs of the partial-piece area that cover [pos, pos + n), in order;
// a byte that none covers belongs to no wanted piece.
Status FileStorage::write_parts(std::size_t f, std::int64_t pos, std::int64_t n, std::span<const iovec> iov,
                                std::size_t from) {
  const std::int64_t start = pos, end = pos + n;
  auto it = std::upper_bound(parts_.begin(), parts_.end(), pos, [](std::int64_t p, const PartRange& r) { return p < r.end; });
  std::vector<iovec> chunk;
  while (pos < end) {
    if (it == parts_.end() || it->begin > pos) {
      return Status(ErrorCode::io_error, (root_ / files_[f].path).string() + ": not selected");
    }
    const std::int64_t take = std::min(end, it->end) - pos;
    chunk.clear();
    slice(iov, from + static_cast<std::size_t>(pos - start), static_cast<std::size_t>(take), chunk);
    if (Status s = write_file(parts_slot(), it->at + (pos - it->begin), chunk); !s) return s;
    pos += take;
    ++it;
  }
  return Status::ok();
}

Status FileStorage::read_parts(std::size_t f, std::int64_t pos, std::span<std::uint8_t> out) {
  const std::int64_t start = pos, end = pos + static_cast<std::int64_t>(out.size());
  auto it = std::upper_bound(parts_.begin(), parts_.end(), pos, [](std::int64_t p, const PartRange& r) { return p < r.end; });
  while (pos < end) {
    if (it == parts_.end() || it->begin > pos) {
      return Status(ErrorCode::io_error, (root_ / files_[f].path).string() + ": not selected");
    }
    const std::int64_t take = std::min(end, it->end) - pos;
    if (Status s = read_span(parts_slot(), it->at + (pos - it->begin),
                             out.subspan(static_cast<std::size_t>(pos - start), static_cast<std::size_t>(take)));
        !s) {
      return s;
    }
    pos += take;
    ++it;
  }
  return Status::ok();
}

std::uint64_t FileStorage::files_synced() const {
  std::lock_guard lock(mu_);
  return files_synced_;
}

Status FileStorage::sync() {
  std::vector<bool> todo;
  {
    // Taken before syncing: a write that returns after this marks its file
    // again, for the next sync.
    std::lock_guard lock(mu_);
    todo.swap(dirty_);
  }
  for (std::size_t f = 0; f < todo.size(); ++f) {
    if (!todo[f]) continue;
    auto h = open_file(f);
    Status s = h ? Status::ok() : h.status();
    if (h) {
      std::lock_guard lock(mu_);
      ++files_synced_;
    }
    if (h && ::fdatasync((*h)->fd) != 0) s = errno_status(root_ / rel_path(f), "sync failed");
    if (!s) {
      // This file and the ones not reached yet stay dirty.
      std::lock_guard lock(mu_);
      if (dirty_.size() != files_.size() + 1) dirty_.resize(files_.size() + 1);
      for (std::size_t g = f; g < todo.size(); ++g) {
        if (todo[g]) dirty_[g] = true;
      }
      return s;
    }
  }
  return Status::ok();
}

}  // namespace fluxo
