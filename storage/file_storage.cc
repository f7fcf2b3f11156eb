#include "storage/file_storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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

}  // namespace

Result<std::unique_ptr<FileStorage>> FileStorage::open(const Metainfo& m, const fs::path& root,
                                                       StorageOptions options) {
  std::error_code ec;
  if (options.read_only) {
    if (!fs::is_directory(root, ec)) return Status(ErrorCode::io_error, root.string() + ": no such directory");
  } else {
    fs::create_directories(root, ec);
    if (ec) return Status(ErrorCode::io_error, root.string() + ": " + ec.message());
  }
  std::vector<File> files;
  files.reserve(m.files.size());
  for (const FileEntry& f : m.files) {
    files.push_back({f.path, f.offset, f.size, f.pad});
    if (f.pad || options.read_only) continue;
    fs::path p = root / f.path;
    fs::create_directories(p.parent_path(), ec);
    if (ec) return Status(ErrorCode::io_error, p.parent_path().string() + ": " + ec.message());
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return errno_status(p, "cannot create");
    ::close(fd);
  }
  options.max_open_files = std::max<std::size_t>(options.max_open_files, 1);
  return std::unique_ptr<FileStorage>(new FileStorage(root, std::move(files), options));
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
  fs::path p = root_ / files_[file].path;
  auto h = std::make_shared<Handles>();
  h->fd = read_only_ ? ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                     : ::open(p.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (h->fd < 0) return errno_status(p, "cannot open");
  if (open_.size() >= max_open_) open_.erase(open_.begin());  // closed when its last user lets go
  open_.push_back({file, h});
  return h;
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
    if (!file.pad) {
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
  {
    std::lock_guard lock(mu_);
    if (dirty_.size() != files_.size()) dirty_.resize(files_.size());
    dirty_[f] = true;
  }
  std::size_t n = 0;
  for (const iovec& v : iov) n += v.iov_len;
  const auto a = static_cast<std::int64_t>(kDirectAlign);
  const std::int64_t mid_begin = (at + a - 1) / a * a;
  const std::int64_t mid_end = (at + static_cast<std::int64_t>(n)) / a * a;
  if (direct_ && mid_end > mid_begin) {
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
  if (int e = pwrite_all((*o)->fd, iov, at); e != 0) {
    errno = e;
    return errno_status(root_ / files_[f].path, "write failed");
  }
  return Status::ok();
}

Status FileStorage::write_direct(std::size_t f, std::int64_t at, std::span<iovec> iov, std::size_t n) {
  auto o = open_file(f);
  if (!o) return o.status();
  Handles& of = **o;
  const fs::path p = root_ / files_[f].path;
  auto fall_back = [&] {
    direct_ = false;
    return write_file(f, at, iov);
  };
  if (of.direct_fd < 0) {
    of.direct_fd = ::open(p.c_str(), O_WRONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC);
    if (of.direct_fd < 0) {
      if (errno == EINVAL) return fall_back();  // the filesystem has no O_DIRECT
      return errno_status(p, "cannot open");
    }
  }
  std::vector<iovec> part(iov.begin(), iov.end());
  if (aligned(part, kDirectAlign)) {
    int e = pwrite_all(of.direct_fd, part, at);
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
    } else {
      auto o = open_file(f);
      if (!o) return o.status();
      const int fd = (*o)->fd;
      std::size_t got = 0;
      while (got < n) {
        ssize_t r = ::pread(fd, out.data() + done + got, n - got, pos - file.offset + static_cast<std::int64_t>(got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return errno_status(root_ / file.path, "read failed");
        if (r == 0) return Status(ErrorCode::io_error, (root_ / file.path).string() + ": shorter than expected");
        got += static_cast<std::size_t>(r);
      }
    }
    done += n;
    pos += static_cast<std::int64_t>(n);
  }
  if (pos != end) return Status(ErrorCode::io_error, "read past the end of the torrent");
  return Status::ok();
}

Status FileStorage::sync() {
  std::vector<bool> todo;
  {
    // Taken before syncing: a write after this marks its file again.
    std::lock_guard lock(mu_);
    todo.swap(dirty_);
  }
  for (std::size_t f = 0; f < todo.size(); ++f) {
    if (!todo[f]) continue;
    auto h = open_file(f);
    if (!h) return h.status();
    if (::fdatasync((*h)->fd) != 0) {
      Status s = errno_status(root_ / files_[f].path, "sync failed");
      std::lock_guard lock(mu_);
      if (dirty_.size() != files_.size()) dirty_.resize(files_.size());
      dirty_[f] = true;
      return s;
    }
  }
  return Status::ok();
}

}  // namespace fluxo
