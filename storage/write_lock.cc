#include "storage/write_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/sha1.h"

namespace fluxo {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kRangeMask = (std::uint64_t{1} << 62) - 1;

std::uint64_t first_u64(const Sha1Digest& d) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | d[static_cast<std::size_t>(i)];
  return v;
}

// 0: taken; EAGAIN/EACCES: held by someone else; other errno: failure.
int try_lock(int fd, std::int64_t offset) {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = offset;
  fl.l_len = 1;
  fl.l_pid = 0;  // required for OFD locks
  while (::fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace

std::int64_t torrent_lock_offset(const InfoHash& hash) {
  return static_cast<std::int64_t>(first_u64(hash.bytes) & kRangeMask);
}

std::int64_t file_lock_offset(std::string_view path) {
  return static_cast<std::int64_t>((first_u64(sha1(path)) & kRangeMask) | (std::uint64_t{1} << 62));
}

Result<UniqueFd> lock_for_writing(int root_fd, const fs::path& shown, const Metainfo& meta) {
  auto dir = open_dir_beneath(root_fd, shown, ".fluxo", true);
  if (!dir) return dir.status();
  const fs::path lock_path = shown / ".fluxo" / "lock";
  auto fd = open_regular_at(dir->get(), lock_path, "lock", O_RDWR | O_CREAT);
  if (!fd) return fd.status();
  auto refused = [&](int e, const std::string& busy) {
    if (e == EAGAIN || e == EACCES) return Status(ErrorCode::io_error, busy);
    return Status(ErrorCode::io_error, lock_path.string() + ": cannot lock: " + std::strerror(e));
  };
  if (int e = try_lock(fd->get(), torrent_lock_offset(meta.info_hash)); e != 0) {
    // The info-hash, not the name: a torrent's name is not sanitized for a terminal.
    return refused(e, shown.string() + ": torrent " + meta.info_hash.hex() +
                          " is being downloaded there by another fluxo process");
  }
  for (const FileEntry& f : meta.files) {
    if (!f.regular()) continue;
    if (int e = try_lock(fd->get(), file_lock_offset(f.path)); e != 0) {
      return refused(e, (shown / f.path).string() + " is being written by another fluxo process");
    }
  }
  return fd;  // closing it (on an error above too) releases every range
}

}  // namespace fluxo
