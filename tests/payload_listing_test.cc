#include "storage/payload_listing.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "storage/payload_reader.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using test::TempDir;

// Root reads any file and directory whatever its mode, and the tests run as
// root: list_payload runs in a child process that becomes the user nobody
// first (when we are root), and reports its files or its error. Returns
// "ok <n files>" or "<error code> <message>".
std::string list_unprivileged(const std::string& root) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (nobody == nullptr || ::setgroups(0, nullptr) != 0 || ::setgid(nobody->pw_gid) != 0 ||
          ::setuid(nobody->pw_uid) != 0) {
        ::_exit(3);
      }
    }
    auto l = list_payload(root);
    std::string out = l ? "ok " + std::to_string(l->files.size())
                        : std::string(to_string(l.status().code())) + " " + l.status().message();
    ssize_t n = ::write(fds[1], out.data(), out.size());
    ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 4);
  }
  ::close(fds[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed: " + std::to_string(status);
  return got;
}

TEST(PayloadListing, SingleFile) {
  TempDir dir;
  test::write_file(dir / "one.bin", "hello");
  auto l = list_payload(dir / "one.bin");
  ASSERT_TRUE(l) << l.status().to_string();
  EXPECT_TRUE(l->single_file);
  EXPECT_EQ(l->name, "one.bin");
  EXPECT_EQ(l->total_size, 5);
  ASSERT_EQ(l->files.size(), 1u);
  EXPECT_TRUE(l->files[0].components.empty());
}

TEST(PayloadListing, DirectoryInSortedOrderWithSymlinksAndFifosSkipped) {
  TempDir dir;
  std::string root = dir / "payload";
  test::write_file(root + "/b", "bb");
  test::write_file(root + "/a/z", "z");
  test::write_file(root + "/a/y", "");
  test::write_file(root + "/A", "A");
  ASSERT_EQ(::symlink("/etc/passwd", (root + "/link").c_str()), 0);
  ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0600), 0);
  auto l = list_payload(root + "/");
  ASSERT_TRUE(l) << l.status().to_string();
  EXPECT_EQ(l->name, "payload");
  EXPECT_FALSE(l->single_file);
  std::vector<std::vector<std::string>> paths;
  for (const auto& f : l->files) paths.push_back(f.components);
  EXPECT_EQ(paths, (std::vector<std::vector<std::string>>{{"A"}, {"a", "y"}, {"a", "z"}, {"b"}}));
  EXPECT_EQ(l->total_size, 4);
  EXPECT_EQ(l->skipped.size(), 2u);
}

TEST(PayloadListing, UnreadableDirectoryIsAnErrorNamingIt) {
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // nobody may walk in
  std::string root = dir / "payload";
  test::write_file(root + "/a", "a");
  test::write_file(root + "/secret/b", "b");
  test::write_file(root + "/secret/c", "c");
  ASSERT_EQ(list_unprivileged(root), "ok 3");  // readable, the whole tree is listed
  ASSERT_EQ(::chmod((root + "/secret").c_str(), 0), 0);
  std::string r = list_unprivileged(root);
  ::chmod((root + "/secret").c_str(), 0755);
  EXPECT_EQ(r.rfind(std::string(to_string(ErrorCode::io_error)) + " ", 0), 0u) << r;
  EXPECT_NE(r.find(root + "/secret: Permission denied"), std::string::npos) << r;
}

TEST(PayloadListing, UnreadableFileIsAnErrorNamingIt) {
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  std::string root = dir / "payload";
  test::write_file(root + "/a", "a");
  test::write_file(root + "/sub/empty", "");  // empty: never opened by the hasher
  ASSERT_EQ(list_unprivileged(root), "ok 2");
  ASSERT_EQ(::chmod((root + "/sub/empty").c_str(), 0), 0);
  std::string r = list_unprivileged(root);
  EXPECT_EQ(r.rfind(std::string(to_string(ErrorCode::io_error)) + " ", 0), 0u) << r;
  EXPECT_NE(r.find(root + "/sub/empty: Permission denied"), std::string::npos) << r;
  // A single unreadable file named as the payload, too.
  r = list_unprivileged(root + "/sub/empty");
  EXPECT_NE(r.find(root + "/sub/empty: Permission denied"), std::string::npos) << r;
}

TEST(PayloadListing, MissingPathIsNotFound) {
  auto l = list_payload("/nonexistent/fluxo/path");
  ASSERT_FALSE(l);
  EXPECT_EQ(l.status().code(), ErrorCode::not_found);
}

TEST(PayloadReader, ReadsAcrossFileBoundaries) {
  TempDir dir;
  test::write_file(dir / "p/1", "abc");
  test::write_file(dir / "p/2", "");
  test::write_file(dir / "p/3", "defgh");
  auto l = list_payload(dir / "p");
  ASSERT_TRUE(l);
  PayloadReader r(l->files);
  std::string buf(4, '\0');
  auto span = [&] { return std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()); };
  ASSERT_TRUE(r.read(span()));
  EXPECT_EQ(buf, "abcd");
  buf.resize(4);
  ASSERT_TRUE(r.read(span()));
  EXPECT_EQ(buf, "efgh");
  EXPECT_FALSE(r.read(span()));  // past the end
}

TEST(PayloadReader, AFileThatShrankIsAnError) {
  TempDir dir;
  test::write_file(dir / "p/1", "abcdef");
  auto l = list_payload(dir / "p");
  ASSERT_TRUE(l);
  ASSERT_EQ(::truncate((dir / "p/1").c_str(), 2), 0);
  PayloadReader r(l->files);
  std::string buf(6, '\0');
  Status s = r.read({reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()});
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("shrank"), std::string::npos);
}

}  // namespace
}  // namespace fluxo
