#include "storage/file_storage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "core/bencode_value.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using bencode::Value;

Metainfo three_files(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t piece = 16384) {
  Value::List files{Value::Dict{{"length", a}, {"path", Value::List{"a"}}},
                    Value::Dict{{"length", b}, {"path", Value::List{"sub", "b"}}},
                    Value::Dict{{"length", c}, {"path", Value::List{"c"}}}};
  std::int64_t total = a + b + c;
  Value::Dict info{{"name", "t"}, {"piece length", piece},
                   {"pieces", std::string(static_cast<std::size_t>((total + piece - 1) / piece) * 20, 'h')},
                   {"files", files}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  EXPECT_TRUE(m) << m.status().to_string();
  return *m;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

TEST(FileStorage, CreatesTreeAndEmptyFilesAndSplitsWritesAcrossFiles) {
  test::TempDir dir;
  Metainfo m = three_files(10, 0, 30);
  auto st = FileStorage::open(m, dir.path());
  ASSERT_TRUE(st) << st.status().to_string();
  EXPECT_TRUE(std::filesystem::exists(dir / "t/sub/b"));
  EXPECT_EQ(std::filesystem::file_size(dir / "t/sub/b"), 0u);
  std::string data = pattern(40);
  // Two iovecs, split at an odd place, spanning a, (empty) b and c.
  iovec iov[2] = {{data.data(), 7}, {data.data() + 7, 33}};
  ASSERT_TRUE((*st)->write(0, iov));
  EXPECT_EQ(test::read_file(dir / "t/a"), data.substr(0, 10));
  EXPECT_EQ(test::read_file(dir / "t/c"), data.substr(10));
  std::string back(25, '\0');
  ASSERT_TRUE((*st)->read(5, {reinterpret_cast<std::uint8_t*>(back.data()), back.size()}));
  EXPECT_EQ(back, data.substr(5, 25));
}

TEST(FileStorage, WritesAtOffsetsLeaveSparseHoles) {
  test::TempDir dir;
  Metainfo m = three_files(100000, 5, 5);
  auto st = FileStorage::open(m, dir.path());
  ASSERT_TRUE(st);
  std::string data = pattern(16384);
  iovec iov{data.data(), data.size()};
  ASSERT_TRUE((*st)->write(16384 * 3, {&iov, 1}));
  EXPECT_EQ(std::filesystem::file_size(dir / "t/a"), 16384u * 4);
  EXPECT_EQ(test::read_file(dir / "t/a").substr(16384 * 3), data);
}

TEST(FileStorage, WritingPastTheEndFails) {
  test::TempDir dir;
  Metainfo m = three_files(10, 10, 10);
  auto st = FileStorage::open(m, dir.path());
  ASSERT_TRUE(st);
  std::string data(20, 'x');
  iovec iov{data.data(), data.size()};
  EXPECT_FALSE((*st)->write(20, {&iov, 1}));
}

TEST(FileStorage, DoesNotWriteThroughAPlantedSymlink) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "t");
  test::write_file(dir / "outside", "keep");
  ASSERT_EQ(::symlink((dir / "outside").c_str(), (dir / "t/a").c_str()), 0);
  Metainfo m = three_files(4, 4, 4);
  auto st = FileStorage::open(m, dir.path());
  EXPECT_FALSE(st);
  EXPECT_EQ(test::read_file(dir / "outside"), "keep");
}

TEST(FileStorage, ReadOnlyDirectoryIsAClearError) {
  if (::geteuid() == 0) {
    // root ignores permission bits; use a path under a regular file instead.
    test::TempDir dir;
    test::write_file(dir / "file", "x");
    auto st = FileStorage::open(three_files(1, 1, 1), dir / "file/sub");
    ASSERT_FALSE(st);
    EXPECT_EQ(st.status().code(), ErrorCode::io_error);
    return;
  }
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0500);
  auto st = FileStorage::open(three_files(1, 1, 1), dir / "x");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.status().code(), ErrorCode::io_error);
}

// Writes the whole stream piece by piece, in a scrambled order, from a
// page-aligned buffer (as the piece pool's are), with direct I/O on.
struct AlignedBuffer {
  explicit AlignedBuffer(std::size_t n)
      : ptr(static_cast<char*>(std::aligned_alloc(4096, (n + 4095) / 4096 * 4096))), size(n) {
    for (std::size_t i = 0; i < n; ++i) ptr[i] = static_cast<char>((i * 7919 + i / 4096) % 251);
  }
  ~AlignedBuffer() { std::free(ptr); }
  std::string str(std::size_t from, std::size_t n) const { return std::string(ptr + from, n); }
  char* ptr;
  std::size_t size;
};

void write_scrambled(FileStorage& st, const AlignedBuffer& data, std::size_t piece) {
  std::size_t pieces = (data.size + piece - 1) / piece;
  for (std::size_t k = 0; k < pieces; ++k) {
    std::size_t i = (k * 5 + 3) % pieces;  // 5 is coprime to the counts used below
    std::size_t len = std::min(piece, data.size - i * piece);
    iovec iov{data.ptr + i * piece, len};
    ASSERT_TRUE(st.write(static_cast<std::int64_t>(i * piece), {&iov, 1}));
  }
}

TEST(FileStorage, DirectIoWritesAlignedPiecesWithoutBouncing) {
  test::TempDir dir;
  const std::size_t piece = 65536;
  Value::Dict info{{"name", "one"}, {"piece length", static_cast<std::int64_t>(piece)},
                   {"length", std::int64_t{3 * 1048576 + 123}}, {"pieces", std::string(49 * 20, 'h')}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  ASSERT_TRUE(m) << m.status().to_string();
  AlignedBuffer data(3 * 1048576 + 123);
  auto st = FileStorage::open(*m, dir.path(), {.direct_io = true});
  ASSERT_TRUE(st);
  write_scrambled(**st, data, piece);
  EXPECT_EQ(test::read_file(dir / "one"), data.str(0, data.size));
  if ((*st)->direct_io()) {  // false only on a filesystem without O_DIRECT
    EXPECT_EQ((*st)->direct_bytes(), 3u * 1048576);  // all but the 123-byte tail
    EXPECT_EQ((*st)->bounced_bytes(), 0u);
  }
  std::string back(70000, '\0');
  ASSERT_TRUE((*st)->read(1000000, {reinterpret_cast<std::uint8_t*>(back.data()), back.size()}));
  EXPECT_EQ(back, data.str(1000000, back.size()));
}

TEST(FileStorage, DirectIoBouncesFilesThatStartAtOddOffsets) {
  test::TempDir dir;
  const std::size_t a = 1000, b = 1048576 + 7, c = 300000, piece = 32768;
  Metainfo m = three_files(a, b, c, piece);
  AlignedBuffer data(a + b + c);
  auto st = FileStorage::open(m, dir.path(), {.direct_io = true});
  ASSERT_TRUE(st);
  write_scrambled(**st, data, piece);
  EXPECT_EQ(test::read_file(dir / "t/a"), data.str(0, a));
  EXPECT_EQ(test::read_file(dir / "t/sub/b"), data.str(a, b));
  EXPECT_EQ(test::read_file(dir / "t/c"), data.str(a + b, c));
  if ((*st)->direct_io()) {
    EXPECT_GT((*st)->direct_bytes(), 0u);
    EXPECT_GT((*st)->bounced_bytes(), 0u);
  }
}

}  // namespace
}  // namespace fluxo
