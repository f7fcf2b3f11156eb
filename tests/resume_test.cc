#include "core/resume.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <random>

#include "core/bencode_value.h"
#include "core/sha1.h"
#include "storage/resume_file.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using bencode::Value;

Metainfo two_files(const std::string& name = "t") {
  Value::List files{Value::Dict{{"length", 40000}, {"path", Value::List{"a"}}},
                    Value::Dict{{"length", 30000}, {"path", Value::List{"b"}}}};
  Value::Dict info{{"name", name}, {"piece length", 16384}, {"pieces", std::string(5 * 20, 'h')}, {"files", files}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  EXPECT_TRUE(m) << m.status().to_string();
  return *m;
}

ResumeData sample(const Metainfo& m) {
  ResumeData r;
  r.info_hash = m.info_hash;
  r.pieces = Bitfield(m.piece_count());
  r.pieces.set(PieceIndex(0));
  r.pieces.set(PieceIndex(3));
  r.files = {{40000, 123456789}, {-1, 0}};
  return r;
}

TEST(Resume, RoundTrips) {
  Metainfo m = two_files();
  auto back = decode_resume(encode_resume(sample(m)), m);
  ASSERT_TRUE(back) << back.status().to_string();
  EXPECT_EQ(back->pieces.count(), 2u);
  EXPECT_TRUE(back->pieces.test(PieceIndex(3)));
  EXPECT_EQ(back->files, sample(m).files);
}

TEST(Resume, DamagedOrForeignDataIsRefusedWithAReason) {
  Metainfo m = two_files();
  std::string good = encode_resume(sample(m));
  auto refused = [&](const std::string& bytes, const std::string& reason) {
    auto r = decode_resume(bytes, m);
    ASSERT_FALSE(r) << reason;
    EXPECT_NE(r.status().message().find(reason), std::string::npos) << r.status().message();
  };
  refused("", "empty");
  refused(good.substr(0, good.size() / 2), "not bencode");
  std::mt19937 rng(5);
  std::string random(300, '\0');
  for (auto& c : random) c = static_cast<char>(rng());
  refused(random, "not bencode");
  std::string flipped = good;
  flipped[good.find("pieces") + 9] ^= 0x01;  // a byte inside the checksummed data
  refused(flipped, "checksum");
}

TEST(Resume, AnotherTorrentOrAnotherVersionIsRefused) {
  Metainfo m = two_files();
  Metainfo other = two_files("other");
  auto r = decode_resume(encode_resume(sample(other)), m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("another torrent"), std::string::npos);
  // A future version, correctly checksummed.
  std::string inner = bencode::encode(Value(Value::Dict{{"fluxo resume", 2}, {"info hash", std::string(m.info_hash.view())}}));
  Value::Dict outer{{"data", inner}};
  auto digest = [](const std::string& s) {
    auto d = sha1(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
  };
  outer.emplace("sha1", digest(inner));
  auto v = decode_resume(bencode::encode(Value(outer)), m);
  ASSERT_FALSE(v);
  EXPECT_NE(v.status().message().find("version 2"), std::string::npos) << v.status().message();
}

TEST(ResumeFile, SavedAtomicallyAndTrustedOnlyWhileTheFilesAreUnchanged) {
  test::TempDir dir;
  Metainfo m = two_files();
  test::write_random_file(dir / "t/a", 40000, 1);
  ResumeData r = sample(m);
  r.files = stamp_files(dir.path(), m);
  ASSERT_TRUE(save_resume(dir.path(), m, r));
  EXPECT_FALSE(std::filesystem::exists(resume_path(dir.path(), m).string() + ".tmp"));
  auto back = load_resume(dir.path(), m);
  ASSERT_TRUE(back) << back.status().to_string();
  EXPECT_EQ(back->pieces.count(), 2u);
  // File b appears: the data changed under the resume data.
  test::write_random_file(dir / "t/b", 30000, 2);
  auto stale = load_resume(dir.path(), m);
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.status().message().find("files changed"), std::string::npos);
  std::filesystem::remove(resume_path(dir.path(), m));
  EXPECT_EQ(load_resume(dir.path(), m).status().code(), ErrorCode::not_found);
}

// What sits at the resume path is checked before it is read: each refusal
// has a reason and is not "no resume data" (the engine then rechecks).

TEST(ResumeFile, ADirectoryAtTheResumePathIsRefusedWithAReason) {
  test::TempDir dir;
  Metainfo m = two_files();
  std::filesystem::create_directories(resume_path(dir.path(), m));
  auto r = load_resume(dir.path(), m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::io_error);
  EXPECT_NE(r.status().message().find("is a directory, not a regular file"), std::string::npos)
      << r.status().message();
}

TEST(ResumeFile, AFifoAtTheResumePathIsRefusedWithoutBlocking) {
  test::TempDir dir;
  Metainfo m = two_files();
  const std::string fifo = resume_path(dir.path(), m).string();
  std::filesystem::create_directories(dir / ".fluxo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto loading = std::async(std::launch::async, [&] { return load_resume(dir.path(), m); });
  if (loading.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // let the stuck reader go
    if (fd >= 0) ::close(fd);
    FAIL() << "load_resume blocked on a FIFO";
  }
  auto r = loading.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::io_error);
  EXPECT_NE(r.status().message().find("is a FIFO"), std::string::npos) << r.status().message();
}

TEST(ResumeFile, AFileLargerThanResumeDataCanBeIsRefusedUnread) {
  test::TempDir dir;
  Metainfo m = two_files();
  const std::string path = resume_path(dir.path(), m).string();
  std::filesystem::create_directories(dir / ".fluxo");
  // 2 GiB, sparse: reading it whole would take seconds and 2 GiB of memory.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, std::int64_t{2} << 30), 0);
  ::close(fd);
  auto r = load_resume(dir.path(), m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::limit_exceeded);
  EXPECT_NE(r.status().message().find("2147483648 bytes, more than resume data for this torrent can be"),
            std::string::npos)
      << r.status().message();
}

TEST(ResumeFile, TheSizeCapHoldsWhatTheEncoderWritesAtMost) {
  Metainfo m = two_files();
  ResumeData r;
  r.info_hash = m.info_hash;
  r.pieces = Bitfield(m.piece_count());
  for (std::uint32_t i = 0; i < m.piece_count(); ++i) r.pieces.set(PieceIndex(i));
  // The widest stamps there are.
  r.files = {{INT64_MAX, INT64_MIN}, {INT64_MAX, INT64_MIN}};
  EXPECT_LE(encode_resume(r).size(), max_resume_size(m));
  // 64 bytes a file cover the widest entry with room to spare.
  EXPECT_LE(encode_resume(r).size() - encode_resume(ResumeData{r.info_hash, r.pieces, {{0, 0}, {0, 0}}, {}, {}}).size(),
            2u * 64);
}

}  // namespace
}  // namespace fluxo
