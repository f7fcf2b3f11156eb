#include "storage/payload_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fluxo {

PayloadReader::PayloadReader(std::vector<PayloadFile> files) : files_(std::move(files)) {}

PayloadReader::~PayloadReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status PayloadReader::open_current() {
  const auto& path = files_[current_].disk_path;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Status(ErrorCode::io_error, path.string() + ": " + std::strerror(errno));
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  return Status::ok();
}

Status PayloadReader::read(std::span<std::uint8_t> out) {
  std::size_t filled = 0;
  while (filled < out.size()) {
    if (current_ >= files_.size()) return Status(ErrorCode::io_error, "read past the end of the payload");
    const PayloadFile& f = files_[current_];
    if (offset_in_file_ == f.size) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      ++current_;
      offset_in_file_ = 0;
      continue;
    }
    if (fd_ < 0) {
      if (Status s = open_current(); !s) return s;
    }
    std::size_t want = std::min<std::size_t>(out.size() - filled, static_cast<std::size_t>(f.size - offset_in_file_));
    ssize_t n = ::read(fd_, out.data() + filled, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(ErrorCode::io_error, f.disk_path.string() + ": " + std::strerror(errno));
    }
    if (n == 0) {
      return Status(ErrorCode::io_error, f.disk_path.string() + ": file shrank while it was being read");
    }
    filled += static_cast<std::size_t>(n);
    offset_in_file_ += n;
  }
  return Status::ok();
}

}  // namespace fluxo
