#include "storage/file_storage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/bencode_value.h"
#include "core/resume.h"
#include "storage/resume_file.h"
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

// BEP 47: pad files are never made, symlinks are made relative to their own
// directory when their target is inside the torrent, and a link whose target
// climbs out is not made at all. Data around them lands where it belongs.
TEST(FileStorage, MakesSymlinksInsideTheTorrentAndNoPadFiles) {
  test::TempDir dir;
  auto link = [](Value::List path, Value::List target) {
    return Value::Dict{{"attr", "l"}, {"path", std::move(path)}, {"symlink path", std::move(target)}};
  };
  Value::List files{Value::Dict{{"length", 10}, {"path", Value::List{"d", "a"}}},
                    Value::Dict{{"length", 6}, {"attr", "p"}},
                    link(Value::List{"e", "deep", "l"}, Value::List{"d", "a"}),
                    link(Value::List{"same"}, Value::List{"d", "a"}),
                    link(Value::List{"out"}, Value::List{"..", "..", "etc", "passwd"}),
                    Value::Dict{{"length", 4}, {"path", Value::List{"b"}}}};
  Value::Dict info{{"name", "t"}, {"piece length", 16384}, {"pieces", std::string(20, 'h')}, {"files", files}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  ASSERT_TRUE(m) << m.status().to_string();
  // Something of the user's where a link goes stays as it is.
  std::filesystem::create_directories(dir / "t");
  test::write_file(dir / "t/same", "mine");
  auto st = FileStorage::open(*m, dir.path());
  ASSERT_TRUE(st) << st.status().to_string();
  EXPECT_FALSE(std::filesystem::exists(dir / "t/.pad"));
  ASSERT_TRUE(std::filesystem::is_symlink(dir / "t/e/deep/l"));
  EXPECT_EQ(std::filesystem::read_symlink(dir / "t/e/deep/l"), "../../d/a");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(dir / "t/out")));
  EXPECT_EQ(test::read_file(dir / "t/same"), "mine");
  std::string data = pattern(20);
  iovec iov{data.data(), data.size()};
  ASSERT_TRUE((*st)->write(0, {&iov, 1}));
  EXPECT_EQ(test::read_file(dir / "t/d/a"), data.substr(0, 10));
  EXPECT_EQ(test::read_file(dir / "t/e/deep/l"), data.substr(0, 10));  // through the link
  EXPECT_EQ(test::read_file(dir / "t/b"), data.substr(16, 4));
  std::string back(20, 'x');
  ASSERT_TRUE((*st)->read(0, {reinterpret_cast<std::uint8_t*>(back.data()), back.size()}));
  EXPECT_EQ(back, data.substr(0, 10) + std::string(6, '\0') + data.substr(16, 4));  // the pad reads as zeros
  // Opening again (a resume) finds the links in place.
  st->reset();
  EXPECT_TRUE(FileStorage::open(*m, dir.path()));
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

std::int64_t allocated_bytes(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return static_cast<std::int64_t>(st.st_blocks) * 512;
}

// Preallocation reserves a new file's blocks and leaves its size at zero
// (nothing reads as written data); a file that already holds data, and an
// empty one of the torrent, are left alone. Without it files stay sparse.
TEST(FileStorage, PreallocationReservesNewFilesAndLeavesTheirSize) {
  test::TempDir dir;
  Metainfo m = three_files(1 << 20, 0, 300000);
  std::filesystem::create_directories(dir / "t");
  test::write_file(dir / "t/c", "mine");
  auto st = FileStorage::open(m, dir.path(), {.preallocate = true});
  ASSERT_TRUE(st) << st.status().to_string();
  EXPECT_EQ(std::filesystem::file_size(dir / "t/a"), 0u);
  EXPECT_GE(allocated_bytes(dir / "t/a"), 1 << 20);
  EXPECT_EQ(allocated_bytes(dir / "t/sub/b"), 0);
  EXPECT_EQ(test::read_file(dir / "t/c"), "mine");
  EXPECT_LT(allocated_bytes(dir / "t/c"), 300000);
  // Writes land in the reserved blocks as usual.
  std::string data = pattern(16384);
  iovec iov{data.data(), data.size()};
  ASSERT_TRUE((*st)->write(16384, {&iov, 1}));
  EXPECT_EQ(std::filesystem::file_size(dir / "t/a"), 32768u);
  EXPECT_EQ(test::read_file(dir / "t/a").substr(16384), data);

  test::TempDir sparse;
  auto st2 = FileStorage::open(m, sparse.path());
  ASSERT_TRUE(st2) << st2.status().to_string();
  EXPECT_EQ(allocated_bytes(sparse / "t/a"), 0);
}

// A file larger than the free space (8 TiB, under ext4's largest file) is an
// error at open that says so, found before any block is taken (fallocate
// would have filled the disk first): the empty file holds none.
TEST(FileStorage, NoRoomForANewFileIsAnErrorAtOpenBeforeAnyBlockIsTaken) {
  test::TempDir dir;
  Metainfo m = three_files(std::int64_t{8} << 40, 0, 10, std::int64_t{256} << 20);
  auto st = FileStorage::open(m, dir.path(), {.preallocate = true});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.status().code(), ErrorCode::io_error);
  EXPECT_THAT(st.status().message(), ::testing::HasSubstr("not enough free space")) << st.status().to_string();
  EXPECT_EQ(allocated_bytes(dir / "t/a"), 0);
  EXPECT_EQ(std::filesystem::file_size(dir / "t/a"), 0u);
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

// --- Writes stay beneath the download directory ---------------------------
//
// A link planted at any component (the torrent's directory, a subdirectory,
// the file, .fluxo, the resume file and its .tmp) is refused with an error
// naming the path, and nothing is written where it points.

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Planted {
  test::TempDir dir;
  std::string out = dir / "out";
  std::string elsewhere = dir / "elsewhere";
  Planted() {
    fs::create_directories(out);
    fs::create_directories(elsewhere);
  }
  // Links out/<rel> to the directory `elsewhere`.
  void link_dir(const std::string& rel) {
    fs::create_directories(fs::path(out + "/" + rel).parent_path());
    EXPECT_EQ(::symlink(elsewhere.c_str(), (out + "/" + rel).c_str()), 0);
  }
  bool elsewhere_empty() const { return fs::is_empty(elsewhere); }
  std::string refused(const std::string& rel) const { return out + "/" + rel + ": is a symbolic link; refusing to follow it"; }
};

TEST(FileStorage, RefusesALinkAtTheTorrentsDirectory) {
  Planted p;
  p.link_dir("t");
  auto st = FileStorage::open(three_files(4, 4, 4), p.out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.status().code(), ErrorCode::io_error);
  EXPECT_THAT(st.status().message(), HasSubstr(p.refused("t")));
  EXPECT_TRUE(p.elsewhere_empty());
}

TEST(FileStorage, RefusesALinkAtASubdirectory) {
  Planted p;
  p.link_dir("t/sub");
  auto st = FileStorage::open(three_files(4, 4, 4), p.out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.status().code(), ErrorCode::io_error);
  EXPECT_THAT(st.status().message(), HasSubstr(p.refused("t/sub")));
  EXPECT_TRUE(p.elsewhere_empty());
}

TEST(FileStorage, RefusesALinkAtTheFileItself) {
  Planted p;
  fs::create_directories(p.out + "/t");
  test::write_file(p.elsewhere + "/victim", "keep");
  ASSERT_EQ(::symlink((p.elsewhere + "/victim").c_str(), (p.out + "/t/c").c_str()), 0);
  auto st = FileStorage::open(three_files(4, 4, 4), p.out);
  ASSERT_FALSE(st);
  EXPECT_THAT(st.status().message(), HasSubstr(p.refused("t/c")));
  EXPECT_EQ(test::read_file(p.elsewhere + "/victim"), "keep");
}

TEST(FileStorage, RefusesALinkAtTheStateDirectoryBeforeCreatingAnything) {
  Planted p;
  p.link_dir(".fluxo");
  auto st = FileStorage::open(three_files(4, 4, 4), p.out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.status().code(), ErrorCode::io_error);
  EXPECT_THAT(st.status().message(), HasSubstr(p.refused(".fluxo")));
  EXPECT_TRUE(p.elsewhere_empty());
  EXPECT_FALSE(fs::exists(p.out + "/t"));  // refused before the tree was made
}

TEST(FileStorage, FollowsTheDownloadDirectoryItselfWhenTheUserLinkedIt) {
  Planted p;
  ASSERT_EQ(::symlink(p.elsewhere.c_str(), (p.dir / "link").c_str()), 0);
  auto st = FileStorage::open(three_files(4, 4, 4), p.dir / "link");
  ASSERT_TRUE(st) << st.status().to_string();
  EXPECT_TRUE(fs::is_regular_file(p.elsewhere + "/t/sub/b"));
}

TEST(FileStorage, ALinkPlantedAfterOpeningIsNotFollowedWhenAFileIsReopened) {
  Planted p;
  auto st = FileStorage::open(three_files(4, 4, 4), p.out, {.max_open_files = 1});
  ASSERT_TRUE(st) << st.status().to_string();
  // t/sub swapped for a link while the download runs.
  fs::rename(p.out + "/t/sub", p.dir / "old-sub");
  p.link_dir("t/sub");
  std::string data(12, 'x');
  iovec iov{data.data(), data.size()};
  Status s = (*st)->write(0, {&iov, 1});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::io_error);
  EXPECT_THAT(s.message(), HasSubstr(p.refused("t/sub")));
  EXPECT_TRUE(p.elsewhere_empty());
}

TEST(FileStorage, ALinkPlantedAfterOpeningIsNotFollowedByTheDirectDescriptor) {
  Planted p;
  const std::size_t n = 3 * 4096;
  void* mem = std::aligned_alloc(4096, n);
  std::memset(mem, 'd', n);
  Value::Dict info{{"name", "one"}, {"piece length", std::int64_t{16384}}, {"length", std::int64_t{16384}},
                   {"pieces", std::string(20, 'h')}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  ASSERT_TRUE(m);
  auto st = FileStorage::open(*m, p.out, {.direct_io = true, .direct_min = 0});
  ASSERT_TRUE(st) << st.status().to_string();
  // A small write opens (and caches) the buffered descriptor.
  char head[10] = "headbytes";
  iovec small{head, sizeof head};
  ASSERT_TRUE((*st)->write(0, {&small, 1}));
  test::write_file(p.elsewhere + "/victim", "keep");
  fs::remove(p.out + "/one");
  ASSERT_EQ(::symlink((p.elsewhere + "/victim").c_str(), (p.out + "/one").c_str()), 0);
  iovec big{mem, n};
  Status s = (*st)->write(4096, {&big, 1});  // aligned: wants the O_DIRECT descriptor
  if ((*st)->direct_io()) {  // a filesystem without O_DIRECT writes through the cached descriptor
    ASSERT_FALSE(s);
    EXPECT_THAT(s.message(), HasSubstr(p.refused("one")));
  }
  EXPECT_EQ(test::read_file(p.elsewhere + "/victim"), "keep");
  std::free(mem);
}

TEST(FileStorage, ALinkAtTheResumeFileOrItsTemporaryIsNotWrittenThrough) {
  Planted p;
  Metainfo m = three_files(4, 4, 4);
  ResumeData r;
  r.info_hash = m.info_hash;
  r.pieces = Bitfield(m.piece_count());
  r.files = stamp_files(p.out, m);
  const std::string resume = resume_path(p.out, m).string();
  fs::create_directories(p.out + "/.fluxo");
  test::write_file(p.elsewhere + "/victim", "keep");
  // The temporary file: refused, naming it.
  ASSERT_EQ(::symlink((p.elsewhere + "/victim").c_str(), (resume + ".tmp").c_str()), 0);
  Status s = save_resume(p.out, m, r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::io_error);
  EXPECT_THAT(s.message(), HasSubstr(resume + ".tmp: is a symbolic link; refusing to follow it"));
  EXPECT_EQ(test::read_file(p.elsewhere + "/victim"), "keep");
  fs::remove(resume + ".tmp");
  // The resume file: a link to valid resume data is not trusted, and saving
  // replaces the link instead of writing through it.
  test::write_file(p.elsewhere + "/victim", encode_resume(r));
  ASSERT_EQ(::symlink((p.elsewhere + "/victim").c_str(), resume.c_str()), 0);
  auto loaded = load_resume(p.out, m);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.status().code(), ErrorCode::not_found);
  EXPECT_THAT(loaded.status().message(), HasSubstr(resume + ": is a symbolic link; refusing to follow it"));
  ASSERT_TRUE(save_resume(p.out, m, r));
  EXPECT_FALSE(fs::is_symlink(resume));
  EXPECT_EQ(test::read_file(p.elsewhere + "/victim"), encode_resume(r));
  EXPECT_TRUE(load_resume(p.out, m));
}

TEST(FileStorage, ALinkAtTheStateDirectoryIsNotFollowedByResumeData) {
  Planted p;
  Metainfo m = three_files(4, 4, 4);
  p.link_dir(".fluxo");
  ResumeData r;
  r.info_hash = m.info_hash;
  r.pieces = Bitfield(m.piece_count());
  r.files = stamp_files(p.out, m);
  Status s = save_resume(p.out, m, r);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.message(), HasSubstr(p.refused(".fluxo")));
  EXPECT_TRUE(p.elsewhere_empty());
  auto loaded = load_resume(p.out, m);
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.status().message(), HasSubstr(p.refused(".fluxo")));
}

TEST(FileStorage, AFifoWhereAFileBelongsIsRefusedWithoutBlocking) {
  Planted p;
  fs::create_directories(p.out + "/t/sub");
  ASSERT_EQ(::mkfifo((p.out + "/t/sub/b").c_str(), 0644), 0);
  auto st = FileStorage::open(three_files(4, 4, 4), p.out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.status().code(), ErrorCode::io_error);
  EXPECT_THAT(st.status().message(), HasSubstr(p.out + "/t/sub/b: is a FIFO, not a regular file"));
  // Reading (seed, verify) refuses it too, instead of waiting for a writer.
  auto ro = FileStorage::open(three_files(4, 4, 4), p.out, {.read_only = true});
  ASSERT_TRUE(ro);
  std::string back(4, '\0');
  Status r = (*ro)->read(4, {reinterpret_cast<std::uint8_t*>(back.data()), back.size()});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.message(), HasSubstr("is a FIFO"));
}

TEST(FileStorage, ADirectoryWhereAFileBelongsIsRefused) {
  Planted p;
  fs::create_directories(p.out + "/t/a");
  auto st = FileStorage::open(three_files(4, 4, 4), p.out);
  ASSERT_FALSE(st);
  EXPECT_THAT(st.status().message(), HasSubstr(p.out + "/t/a: is a directory"));
}

// --- One writer per torrent and per file -----------------------------------

Metainfo single(const std::string& name, std::int64_t length) {
  Value::Dict info{{"name", name}, {"piece length", std::int64_t{16384}}, {"length", length},
                   {"pieces", std::string(static_cast<std::size_t>((length + 16383) / 16384) * 20, 'h')}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  EXPECT_TRUE(m) << m.status().to_string();
  return *m;
}

// OFD locks belong to the open file description, so two storages in one
// process conflict just as two processes do.
TEST(FileStorage, TwoTorrentsWritingOneFileConflict) {
  test::TempDir dir;
  Metainfo one = single("x.bin", 1000);
  Metainfo other = single("x.bin", 2000);  // another torrent, same file name
  ASSERT_NE(one.info_hash, other.info_hash);
  auto first = FileStorage::open(one, dir / "out");
  ASSERT_TRUE(first) << first.status().to_string();
  auto second = FileStorage::open(other, dir / "out");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), ErrorCode::io_error);
  EXPECT_EQ(second.status().message(), dir / "out/x.bin is being written by another fluxo process");
  first->reset();  // the locks go with the storage
  EXPECT_TRUE(FileStorage::open(other, dir / "out"));
}

TEST(FileStorage, TwoTorrentsWithDifferentFilesShareADirectory) {
  test::TempDir dir;
  auto first = FileStorage::open(single("x.bin", 1000), dir / "out");
  auto second = FileStorage::open(single("y.bin", 1000), dir / "out");
  EXPECT_TRUE(first) << first.status().to_string();
  EXPECT_TRUE(second) << second.status().to_string();
}

TEST(FileStorage, OneTorrentTwiceInOneDirectoryConflicts) {
  test::TempDir dir;
  Metainfo m = three_files(4, 4, 4);
  auto first = FileStorage::open(m, dir / "out");
  ASSERT_TRUE(first);
  auto second = FileStorage::open(m, dir / "out");
  ASSERT_FALSE(second);
  EXPECT_THAT(second.status().message(), HasSubstr("is being downloaded there by another fluxo process"));
  // Readers take no lock.
  EXPECT_TRUE(FileStorage::open(m, dir / "out", {.read_only = true}));
}

// --- Durability ------------------------------------------------------------

TEST(FileStorage, SyncFlushesWrittenFilesAndMarkAllDirtyFlushesEveryFileWithData) {
  test::TempDir dir;
  auto st = FileStorage::open(three_files(4, 0, 4), dir.path());
  ASSERT_TRUE(st);
  std::string data(4, 'x');
  iovec iov{data.data(), data.size()};
  ASSERT_TRUE((*st)->write(0, {&iov, 1}));
  ASSERT_TRUE((*st)->sync());
  EXPECT_EQ((*st)->files_synced(), 1u);
  ASSERT_TRUE((*st)->sync());
  EXPECT_EQ((*st)->files_synced(), 1u);  // nothing written since
  (*st)->mark_all_dirty();
  ASSERT_TRUE((*st)->sync());
  EXPECT_EQ((*st)->files_synced(), 3u);  // a and c; b is empty
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
  auto st = FileStorage::open(*m, dir.path(), {.direct_io = true, .direct_min = 0});
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

// Small writes wait for the device when direct: below direct_min they go
// through the page cache whole.
TEST(FileStorage, WritesBelowTheDirectMinimumAreBuffered) {
  test::TempDir dir;
  const std::size_t piece = 16384;
  Value::Dict info{{"name", "one"}, {"piece length", static_cast<std::int64_t>(piece)},
                   {"length", std::int64_t{1048576}}, {"pieces", std::string(64 * 20, 'h')}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  ASSERT_TRUE(m) << m.status().to_string();
  AlignedBuffer data(1048576);
  auto st = FileStorage::open(*m, dir.path(), {.direct_io = true, .direct_min = 65536});
  ASSERT_TRUE(st);
  write_scrambled(**st, data, piece);  // 16 KiB each: all buffered
  iovec whole{data.ptr, 65536};
  ASSERT_TRUE((*st)->write(0, {&whole, 1}));  // 64 KiB: direct
  EXPECT_EQ(test::read_file(dir / "one"), data.str(0, data.size));
  if ((*st)->direct_io()) {
    EXPECT_EQ((*st)->direct_bytes(), 65536u);
  }
}

TEST(FileStorage, DirectIoBouncesFilesThatStartAtOddOffsets) {
  test::TempDir dir;
  const std::size_t a = 1000, b = 1048576 + 7, c = 300000, piece = 32768;
  Metainfo m = three_files(a, b, c, piece);
  AlignedBuffer data(a + b + c);
  auto st = FileStorage::open(m, dir.path(), {.direct_io = true, .direct_min = 0});
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
