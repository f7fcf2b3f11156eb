#include "storage/beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace fluxo {
namespace fs = std::filesystem;

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

std::atomic<bool> g_no_openat2{false};  // set once the kernel says ENOSYS

// An error about `shown` with errno `e` left in errno for the caller.
Status fail(const fs::path& shown, const std::string& why, int e) {
  Status s(e == ENOENT ? ErrorCode::not_found : ErrorCode::io_error, shown.string() + ": " + why);
  errno = e;
  return s;
}

Status fail_errno(const fs::path& shown, const char* what) {
  const int e = errno;
  return fail(shown, std::string(what) + ": " + std::strerror(e), e);
}

// Why a node of mode `m` cannot be used (empty when it can), and the errno
// that stands for it.
std::string mode_problem(mode_t m, bool want_dir, int& e) {
  if (S_ISLNK(m)) {
    e = ELOOP;
    return "is a symbolic link; refusing to follow it";
  }
  if (want_dir) {
    e = ENOTDIR;
    return S_ISDIR(m) ? "" : "is not a directory";
  }
  if (S_ISREG(m)) return "";
  e = S_ISDIR(m) ? EISDIR : ENXIO;
  if (S_ISDIR(m)) return "is a directory, not a regular file";
  if (S_ISFIFO(m)) return "is a FIFO, not a regular file";
  if (S_ISCHR(m) || S_ISBLK(m)) return "is a device, not a regular file";
  if (S_ISSOCK(m)) return "is a socket, not a regular file";
  return "is not a regular file";
}

// After a failed open of `name` in dir_fd: a clear reason if what is there
// is of the wrong kind, else the open's own errno.
Status open_failed(int dir_fd, const char* name, const fs::path& shown, bool want_dir, bool follow,
                   const char* what) {
  const int e = errno;
  struct stat st {};
  if (::fstatat(dir_fd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0) {
    int unused = 0;
    std::string why = mode_problem(st.st_mode, want_dir, unused);
    if (!why.empty())
      return fail(shown, why, e);  // errno: the open's own (ELOOP, ENOTDIR, ENXIO, ...)
  }
  errno = e;
  return fail_errno(shown, what);
}

// A freshly opened descriptor (O_NONBLOCK): kept only if it is a regular
// file, then switched back to blocking.
Result<UniqueFd> regular_only(UniqueFd fd, const fs::path& shown) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(shown, "cannot stat");
  int e = 0;
  if (std::string why = mode_problem(st.st_mode, false, e); !why.empty())
    return fail(shown, why, e);
  const int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0)
    return fail_errno(shown, "fcntl failed");
  return fd;
}

bool unsafe_component(std::string_view c) {
  return c.empty() || c == "." || c == "..";
}

}  // namespace

Result<UniqueFd> open_root_dir(const fs::path& dir, bool create) {
  if (create) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fail(dir, ec.message(), ec.value());
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(dir, "cannot open directory");
  return UniqueFd(fd);
}

Result<UniqueFd> open_dir_beneath(int root_fd, const fs::path& shown, std::string_view rel,
                                  bool create) {
  UniqueFd cur(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!cur) return fail_errno(shown, "cannot duplicate descriptor");
  fs::path at = shown;
  while (!rel.empty()) {
    const std::size_t slash = rel.find('/');
    const std::string comp(rel.substr(0, slash));
    rel = slash == std::string_view::npos ? std::string_view() : rel.substr(slash + 1);
    at /= comp;
    if (unsafe_component(comp)) return fail(at, "unsafe path component", EINVAL);
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::openat(cur.get(), comp.c_str(), flags);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), comp.c_str(), 0755) != 0 && errno != EEXIST) {
        return fail_errno(at, "cannot create directory");
      }
      fd = ::openat(cur.get(), comp.c_str(), flags);
    }
    if (fd < 0)
      return open_failed(cur.get(), comp.c_str(), at, true, false, "cannot open directory");
    cur = UniqueFd(fd);
  }
  return cur;
}

Result<UniqueFd> open_regular_at(int dir_fd, const fs::path& shown, const char* name, int flags,
                                 mode_t mode, bool follow) {
  // Refuse what is plainly wrong before opening it (a device is not even
  // opened); the fstat after the open closes the race.
  struct stat st {};
  if (::fstatat(dir_fd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0) {
    int e = 0;
    if (std::string why = mode_problem(st.st_mode, false, e); !why.empty())
      return fail(shown, why, e);
  }
  const int all = flags | O_CLOEXEC | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW);
  int fd = ::openat(dir_fd, name, all, mode);
  if (fd < 0) {
    return open_failed(dir_fd, name, shown, false, follow,
                       (flags & O_CREAT) ? "cannot create" : "cannot open");
  }
  return regular_only(UniqueFd(fd), shown);
}

Result<UniqueFd> open_file_beneath(int root_fd, const fs::path& shown, std::string_view rel,
                                   int flags, mode_t mode) {
  const std::string path(rel);
  if (!g_no_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return regular_only(UniqueFd(static_cast<int>(fd)), shown / path);
    if (errno == ENOSYS) g_no_openat2.store(true, std::memory_order_relaxed);
    // Any failure: the walk below says which component is to blame.
  }
  const std::size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string_view parent =
      slash == std::string::npos ? std::string_view() : rel.substr(0, slash);
  if (unsafe_component(name)) return fail(shown / path, "unsafe path component", EINVAL);
  auto dir = open_dir_beneath(root_fd, shown, parent, false);
  if (!dir) return dir.status();
  return open_regular_at(dir->get(), shown / path, name.c_str(), flags, mode);
}

}  // namespace fluxo
