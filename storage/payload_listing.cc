#include "storage/payload_listing.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace fluxo {
namespace fs = std::filesystem;

namespace {

Status io_error(const fs::path& p, const std::error_code& ec) {
  return Status(ErrorCode::io_error, p.string() + ": " + ec.message());
}

// A file we could list but not read would fail only once hashing reaches it
// (or never, when it is empty): say so before any work is done.
Status check_readable(const fs::path& p) {
  if (::faccessat(AT_FDCWD, p.c_str(), R_OK, AT_EACCESS) == 0) return Status::ok();
  return io_error(p, std::error_code(errno, std::generic_category()));
}

}  // namespace

Result<PayloadListing> list_payload(const fs::path& root, std::size_t max_files) {
  std::error_code ec;
  fs::file_status st = fs::symlink_status(root, ec);
  if (ec || !fs::exists(st)) {
    return Status(ErrorCode::not_found, root.string() + ": no such file or directory");
  }
  PayloadListing out;
  fs::path absolute = fs::absolute(root, ec).lexically_normal();
  out.name = absolute.has_filename() ? absolute.filename().string()
                                     : absolute.parent_path().filename().string();
  if (out.name.empty()) return Status(ErrorCode::invalid_argument, "cannot make a torrent of " + root.string());

  if (fs::is_symlink(st)) st = fs::status(root, ec);  // a link named explicitly is followed
  if (fs::is_regular_file(st)) {
    auto size = fs::file_size(root, ec);
    if (ec) return io_error(root, ec);
    if (Status r = check_readable(root); !r) return r;
    out.single_file = true;
    bool exec = (st.permissions() & (fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec)) != fs::perms::none;
    out.files.push_back({root, {}, static_cast<std::int64_t>(size), exec});
    out.total_size = static_cast<std::int64_t>(size);
    return out;
  }
  if (!fs::is_directory(st)) {
    return Status(ErrorCode::invalid_argument, root.string() + " is neither a regular file nor a directory");
  }

  // Our own walk rather than recursive_directory_iterator: that one turns a
  // directory it cannot open into a silent end of the walk, and by then it no
  // longer knows which directory it was.
  std::vector<fs::path> pending{root};
  while (!pending.empty()) {
    fs::path dir = std::move(pending.back());
    pending.pop_back();
    fs::directory_iterator it(dir, ec);
    if (ec) return io_error(dir, ec);
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      const fs::directory_entry& e = *it;
      fs::file_status s = e.symlink_status(ec);
      if (ec) return io_error(e.path(), ec);
      fs::path rel = e.path().lexically_relative(root);
      if (fs::is_symlink(s)) {
        out.skipped.push_back(rel.string() + ": symbolic link");
        continue;
      }
      if (fs::is_directory(s)) {
        pending.push_back(e.path());
        continue;
      }
      if (!fs::is_regular_file(s)) {
        out.skipped.push_back(rel.string() + ": not a regular file");
        continue;
      }
      if (out.files.size() >= max_files) {
        return Status(ErrorCode::limit_exceeded, "more than " + std::to_string(max_files) + " files");
      }
      if (Status r = check_readable(e.path()); !r) return r;
      PayloadFile f;
      f.disk_path = e.path();
      for (const auto& c : rel) f.components.push_back(c.string());
      f.size = static_cast<std::int64_t>(e.file_size(ec));
      if (ec) return io_error(e.path(), ec);
      f.executable = (s.permissions() & (fs::perms::owner_exec | fs::perms::group_exec |
                                         fs::perms::others_exec)) != fs::perms::none;
      out.total_size += f.size;
      out.files.push_back(std::move(f));
    }
    if (ec) return io_error(dir, ec);  // reading the directory failed part way
  }
  std::sort(out.files.begin(), out.files.end(),
            [](const PayloadFile& a, const PayloadFile& b) { return a.components < b.components; });
  return out;
}

}  // namespace fluxo
