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

}  // namespace

Result<std::unique_ptr<FileStorage>> FileStorage::open(const Metainfo& m, const fs::path& root,
                                                       std::size_t max_open_files) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status(ErrorCode::io_error, root.string() + ": " + ec.message());
  std::vector<File> files;
  files.reserve(m.files.size());
  for (const FileEntry& f : m.files) {
    files.push_back({f.path, f.offset, f.size, f.pad});
    if (f.pad) continue;
    fs::path p = root / f.path;
    fs::create_directories(p.parent_path(), ec);
    if (ec) return Status(ErrorCode::io_error, p.parent_path().string() + ": " + ec.message());
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return errno_status(p, "cannot create");
    ::close(fd);
  }
  return std::unique_ptr<FileStorage>(new FileStorage(root, std::move(files), std::max<std::size_t>(max_open_files, 1)));
}

FileStorage::~FileStorage() {
  for (auto& [file, fd] : open_) ::close(fd);
}

Result<int> FileStorage::fd_for(std::size_t file) {
  std::lock_guard lock(mu_);
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->first == file) {
      auto entry = *it;
      open_.erase(it);
      open_.push_back(entry);
      return entry.second;
    }
  }
  fs::path p = root_ / files_[file].path;
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status(p, "cannot open");
  if (open_.size() >= max_open_) {
    ::close(open_.front().second);
    open_.erase(open_.begin());
  }
  open_.emplace_back(file, fd);
  return fd;
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
  std::size_t vi = 0;         // current iovec
  std::size_t vo = 0;         // offset inside it
  std::int64_t pos = offset;  // stream position
  std::int64_t end = offset + total;
  std::vector<iovec> chunk;
  for (std::size_t f = first_file_at(offset); pos < end && f < files_.size(); ++f) {
    const File& file = files_[f];
    if (file.size == 0 || pos >= file.offset + file.size) continue;
    std::int64_t n = std::min(end, file.offset + file.size) - pos;
    // Gather the n bytes starting at (vi, vo) into `chunk`.
    chunk.clear();
    std::int64_t need = n;
    while (need > 0) {
      auto* base = static_cast<std::uint8_t*>(iov[vi].iov_base) + vo;
      std::size_t avail = iov[vi].iov_len - vo;
      std::size_t take = static_cast<std::size_t>(std::min<std::int64_t>(need, static_cast<std::int64_t>(avail)));
      chunk.push_back({base, take});
      need -= static_cast<std::int64_t>(take);
      vo += take;
      if (vo == iov[vi].iov_len) {
        ++vi;
        vo = 0;
      }
    }
    if (!file.pad) {
      auto fd = fd_for(f);
      if (!fd) return fd.status();
      std::int64_t at = pos - file.offset;
      std::size_t ci = 0;
      while (ci < chunk.size()) {
        ssize_t w = ::pwritev(*fd, chunk.data() + ci, static_cast<int>(std::min<std::size_t>(chunk.size() - ci, IOV_MAX)), at);
        if (w < 0) {
          if (errno == EINTR) continue;
          return errno_status(root_ / file.path, "write failed");
        }
        at += w;
        // Advance past what was written (partial writes are possible).
        auto left = static_cast<std::size_t>(w);
        while (ci < chunk.size() && left >= chunk[ci].iov_len) {
          left -= chunk[ci].iov_len;
          ++ci;
        }
        if (ci < chunk.size() && left > 0) {
          chunk[ci].iov_base = static_cast<std::uint8_t*>(chunk[ci].iov_base) + left;
          chunk[ci].iov_len -= left;
        }
      }
    }
    pos += n;
  }
  if (pos != end) return Status(ErrorCode::io_error, "write past the end of the torrent");
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
      auto fd = fd_for(f);
      if (!fd) return fd.status();
      std::size_t got = 0;
      while (got < n) {
        ssize_t r = ::pread(*fd, out.data() + done + got, n - got, pos - file.offset + static_cast<std::int64_t>(got));
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
  std::lock_guard lock(mu_);
  for (auto& [file, fd] : open_) {
    if (::fdatasync(fd) != 0) return errno_status(root_ / files_[file].path, "sync failed");
  }
  return Status::ok();
}

}  // namespace fluxo
