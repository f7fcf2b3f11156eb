#include "storage/payload_listing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "storage/payload_reader.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using test::TempDir;

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
