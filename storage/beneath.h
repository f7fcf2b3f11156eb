// Opening paths beneath a directory without ever following a symbolic link.
//
// The download directory DIR is opened once, as the user named it (DIR itself
// may be a link the user made). Every path below it is resolved one component
// at a time from that descriptor: openat(parent, component, O_NOFOLLOW |
// O_DIRECTORY) for directories (created with mkdirat when asked), openat(...,
// O_NOFOLLOW) for the file. Nothing renamed or planted in DIR can redirect a
// write outside it: a symbolic link, or anything that is not a directory where
// a directory is needed, is an error naming the path. Where the kernel has
// openat2 (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), a file is opened with one
// call; any failure is retried with the walk, which also names the culprit.
//
// Files must be regular: each is opened with O_NONBLOCK (so a FIFO cannot
// block the open), fstat'ed, refused unless S_ISREG, and only then switched
// back to blocking. A device or FIFO is refused before any byte is read or
// written; paths are lstat'ed first, so a device is not even opened.
//
// Errors: io_error, or not_found when a component does not exist; on failure
// errno still holds the cause of the failing call (EINVAL for O_DIRECT on a
// filesystem without it, ELOOP for a link, ENOENT, ...). Thread-safe: no state
// beyond a process-wide "openat2 is missing" flag.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace fluxo {

// A descriptor owned by one object, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Opens `dir` as a directory, following links (the user chose it); with
// `create`, makes it and its parents first.
Result<UniqueFd> open_root_dir(const std::filesystem::path& dir, bool create);

// Opens the directory `rel` ('/'-separated, relative) beneath `root_fd`,
// never following a link; with `create`, missing components are made (0755).
// `shown` names root_fd in errors ("out" gives "out/multi/sub: ...").
Result<UniqueFd> open_dir_beneath(int root_fd, const std::filesystem::path& shown,
                                  std::string_view rel, bool create);

// Opens the regular file `rel` beneath `root_fd` with `flags` (an access mode,
// optionally O_CREAT, O_TRUNC, O_DIRECT); O_NOFOLLOW and O_CLOEXEC are added.
// Parent directories must exist (see open_dir_beneath).
Result<UniqueFd> open_file_beneath(int root_fd, const std::filesystem::path& shown,
                                   std::string_view rel, int flags, mode_t mode = 0644);

// Opens the regular file `name` relative to `dir_fd` as open_file_beneath
// does, without a walk: `name` is one component below a directory opened
// beneath, or (read-only storage, AT_FDCWD) a path whose directories may be
// links the user made. O_NOFOLLOW applies to the last component unless
// `follow`. `shown` is the file's path for errors.
Result<UniqueFd> open_regular_at(int dir_fd, const std::filesystem::path& shown, const char* name,
                                 int flags, mode_t mode = 0644, bool follow = false);

}  // namespace fluxo
