#include "storage/resume_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/file_selection.h"
#include "storage/beneath.h"

namespace fluxo {
namespace fs = std::filesystem;

fs::path resume_path(const fs::path& dir, const Metainfo& meta) {
  return dir / ".fluxo" / (meta.info_hash.hex() + ".resume");
}

namespace {

FileStamp stamp(const fs::path& p) {
  FileStamp s;
  struct stat st {};
  if (::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    s.size = st.st_size;
    s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
  return s;
}

}  // namespace

std::vector<FileStamp> stamp_files(const fs::path& dir, const Metainfo& meta) {
  std::vector<FileStamp> out;
  out.reserve(meta.files.size());
  for (const auto& f : meta.files) out.push_back(f.regular() ? stamp(dir / f.path) : FileStamp{});
  return out;
}

FileStamp stamp_parts(const fs::path& dir, const Metainfo& meta) {
  return stamp(dir / ".fluxo" / (meta.info_hash.hex() + ".parts"));
}

namespace {

Status io_error(const fs::path& p, const char* what) {
  return Status(ErrorCode::io_error, p.string() + ": " + what + ": " + std::strerror(errno));
}

// DIR/.fluxo, opened beneath DIR (made with `create`).
Result<UniqueFd> open_state_dir(const fs::path& dir, bool create) {
  auto root = open_root_dir(dir, create);
  if (!root) return root.status();
  return open_dir_beneath(root->get(), dir, ".fluxo", create);
}

}  // namespace

std::size_t max_resume_size(const Metainfo& meta) {
  return (std::size_t{64} << 10) + meta.piece_count() / 8 + 64 * meta.files.size();
}

Status save_state_file(const fs::path& dir, const std::string& name, std::string_view bytes) {
  const fs::path path = dir / ".fluxo" / name;
  const std::string tmp_name = name + ".tmp";
  const fs::path tmp = path.parent_path() / tmp_name;
  auto state = open_state_dir(dir, true);
  if (!state) return Status(ErrorCode::io_error, state.status().message());
  auto fd = open_regular_at(state->get(), tmp, tmp_name.c_str(), O_WRONLY | O_CREAT | O_TRUNC);
  if (!fd) return Status(ErrorCode::io_error, fd.status().message());
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd->get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error(tmp, "write failed");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd->get()) != 0) return io_error(tmp, "fsync failed");
  *fd = UniqueFd();  // closed before the rename
  // renameat replaces whatever is at `name` (a link included) without
  // following it.
  if (::renameat(state->get(), tmp_name.c_str(), state->get(), name.c_str()) != 0) {
    return io_error(path, "rename failed");
  }
  if (::fsync(state->get()) != 0) return io_error(path.parent_path(), "fsync failed");
  return Status::ok();
}

Result<std::string> load_state_file(const fs::path& dir, const std::string& name, std::size_t max_size,
                                    const std::string& what) {
  const fs::path path = dir / ".fluxo" / name;
  auto state = open_state_dir(dir, false);
  Result<UniqueFd> fd = state ? open_regular_at(state->get(), path, name.c_str(), O_RDONLY) : state.status();
  if (!fd) {
    if (fd.status().code() == ErrorCode::not_found) return Status(ErrorCode::not_found, path.string() + ": not there");
    return fd.status();
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return io_error(path, "cannot stat");
  if (static_cast<std::uint64_t>(st.st_size) > max_size) {
    return Status(ErrorCode::limit_exceeded, path.string() + ": " + std::to_string(st.st_size) +
                                                 " bytes, more than " + what + " can be (" + std::to_string(max_size) + ")");
  }
  // One byte more than fstat said: a file that grows meanwhile is noticed.
  std::string bytes(static_cast<std::size_t>(st.st_size) + 1, '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::read(fd->get(), bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(path, "read failed");
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == bytes.size()) return Status(ErrorCode::parse_error, path.string() + ": changed while being read");
  bytes.resize(got);
  return bytes;
}

Status save_resume(const fs::path& dir, const Metainfo& meta, const ResumeData& data) {
  return save_state_file(dir, resume_path(dir, meta).filename().string(), encode_resume(data));
}

Result<ResumeData> load_resume(const fs::path& dir, const Metainfo& meta, const std::vector<bool>& selected) {
  const fs::path path = resume_path(dir, meta);
  auto loaded = load_state_file(dir, path.filename().string(), max_resume_size(meta), "resume data for this torrent");
  if (!loaded) {
    if (loaded.status().code() == ErrorCode::not_found) {
      return Status(ErrorCode::not_found, path.string() + ": no resume data");
    }
    return loaded.status();
  }
  const std::string& bytes = *loaded;
  auto r = decode_resume(bytes, meta);
  if (!r) return Status(r.status().code(), path.string() + ": " + r.status().message());
  if (!same_selection(meta, selected, r->selected)) {
    return Status(ErrorCode::parse_error, path.string() + ": written for another selection of files");
  }
  const bool want = selects_less_than_all(meta, selected);
  if (r->files != stamp_files(dir, meta)) {
    return Status(ErrorCode::parse_error, path.string() + ": files changed since it was written");
  }
  if (want && r->parts != stamp_parts(dir, meta)) {
    return Status(ErrorCode::parse_error, path.string() + ": partial pieces changed since it was written");
  }
  return r;
}

}  // namespace fluxo
