#include "tools/torrent_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fluxo::cli {
namespace {

Status errno_status(const std::string& path) {
  return Status(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io_error,
                path + ": " + std::strerror(errno));
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

Status check_output_is_replaceable(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::ok() : errno_status(path);
  }
  if (S_ISREG(st.st_mode)) return Status::ok();
  std::string what;
  if (S_ISLNK(st.st_mode)) {
    if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return Status::ok();  // dangling, or a file
    what = std::string("a symbolic link to ") + file_kind(st.st_mode);
  } else {
    what = file_kind(st.st_mode);
  }
  return Status(ErrorCode::io_error, path + " is " + what + ", not a regular file; not replacing it");
}

Result<std::string> read_small_file(const std::string& path, std::size_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = errno_status(path);
    ::close(fd);
    return s;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(ErrorCode::io_error, path + ": not a regular file");
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_size) {
    ::close(fd);
    return Status(ErrorCode::limit_exceeded, path + ": " + std::to_string(st.st_size) +
                                                 " bytes is larger than the limit of " +
                                                 std::to_string(max_size));
  }
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = errno_status(path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  data.resize(got);
  return data;
}

Result<Metainfo> load_torrent_file(const std::string& path, const MetainfoLimits& limits) {
  auto bytes = read_small_file(path, limits.bencode.max_input_size);
  if (!bytes) return bytes.status();
  auto m = parse_metainfo(*bytes, limits);
  if (!m) return Status(m.status().code(), path + ": " + m.status().message(), m.status().offset());
  return m;
}

Status write_file_atomically(const std::string& path, std::string_view data) {
  if (Status s = check_output_is_replaceable(path); !s) return s;
  std::string tmp = path + ".part-" + std::to_string(::getpid());
  // O_EXCL | O_NOFOLLOW: never write through something already at that name.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status(tmp);
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = errno_status(path);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Status s = errno_status(path);
    ::unlink(tmp.c_str());
    return s;
  }
  // Checked again: it may have changed while the data was written.
  if (Status s = check_output_is_replaceable(path); !s) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = errno_status(path);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::ok();
}

}  // namespace fluxo::cli
