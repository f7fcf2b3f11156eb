#include "storage/resume_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace fluxo {
namespace fs = std::filesystem;

fs::path resume_path(const fs::path& dir, const Metainfo& meta) {
  return dir / ".fluxo" / (meta.info_hash.hex() + ".resume");
}

std::vector<FileStamp> stamp_files(const fs::path& dir, const Metainfo& meta) {
  std::vector<FileStamp> out;
  out.reserve(meta.files.size());
  for (const auto& f : meta.files) {
    FileStamp s;
    struct stat st {};
    if (!f.pad && ::lstat((dir / f.path).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      s.size = st.st_size;
      s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
    out.push_back(s);
  }
  return out;
}

namespace {

Status io_error(const fs::path& p, const char* what) {
  return Status(ErrorCode::io_error, p.string() + ": " + what + ": " + std::strerror(errno));
}

Status fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error(p, "cannot open");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error(p, "fsync failed");
  return Status::ok();
}

}  // namespace

Status save_resume(const fs::path& dir, const Metainfo& meta, const ResumeData& data) {
  const fs::path path = resume_path(dir, meta);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Status(ErrorCode::io_error, path.parent_path().string() + ": " + ec.message());
  const std::string bytes = encode_resume(data);
  const fs::path tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(tmp, "cannot create");
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = io_error(tmp, "write failed");
      ::close(fd);
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = io_error(tmp, "fsync failed");
    ::close(fd);
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error(path, "rename failed");
  return fsync_path(path.parent_path(), O_RDONLY | O_DIRECTORY);
}

Result<ResumeData> load_resume(const fs::path& dir, const Metainfo& meta) {
  const fs::path path = resume_path(dir, meta);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::not_found, path.string() + ": no resume data");
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto r = decode_resume(bytes, meta);
  if (!r) return Status(r.status().code(), path.string() + ": " + r.status().message());
  if (r->files != stamp_files(dir, meta)) {
    return Status(ErrorCode::parse_error, path.string() + ": files changed since it was written");
  }
  return r;
}

}  // namespace fluxo
