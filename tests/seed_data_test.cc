// Data on disk that we serve: the upload cache (verified pieces read back for
// peers) and the verifier (the recheck before seeding).
#include "pipeline/upload_cache.h"
#include "storage/file_storage.h"
#include "pipeline/verifier.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/bencode_value.h"
#include "core/sha1.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using bencode::Value;

// A single-file torrent over `data` with real piece hashes.
Metainfo torrent_for(const std::string& data, std::int64_t piece) {
  std::string hashes;
  for (std::size_t at = 0; at < data.size(); at += static_cast<std::size_t>(piece)) {
    std::string_view part(data.data() + at, std::min<std::size_t>(static_cast<std::size_t>(piece), data.size() - at));
    auto d = sha1(std::span(reinterpret_cast<const std::uint8_t*>(part.data()), part.size()));
    hashes.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  Value::Dict info{{"name", "f"}, {"piece length", piece}, {"length", static_cast<std::int64_t>(data.size())},
                   {"pieces", hashes}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  EXPECT_TRUE(m) << m.status().to_string();
  return *m;
}

std::string bytes_of(const UploadCache::Piece& p) { return std::string(p->begin(), p->end()); }

struct Fixture {
  test::TempDir dir;
  std::string data;
  Metainfo meta;
  std::unique_ptr<FileStorage> storage;
  Fixture() {
    test::write_random_file(dir / "f", 100'000, 9);
    data = test::read_file(dir / "f");
    meta = torrent_for(data, 16384);
    auto st = FileStorage::open(meta, dir.path(), {.read_only = true});
    EXPECT_TRUE(st) << st.status().to_string();
    if (st) storage = std::move(st.value());
  }
};

TEST(UploadCache, ServesVerifiedPiecesAndKeepsThemForTheNextBlocks) {
  Fixture f;
  UploadCache cache(f.meta, *f.storage, 2 * 16384);
  auto p = cache.get(PieceIndex(6));  // the short last piece
  ASSERT_TRUE(p) << p.status().to_string();
  EXPECT_EQ(bytes_of(*p), f.data.substr(6 * 16384));
  auto again = cache.get(PieceIndex(6));
  ASSERT_TRUE(again);
  EXPECT_EQ(cache.loads(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(UploadCache, EvictsBeyondItsBudget) {
  Fixture f;
  UploadCache cache(f.meta, *f.storage, 2 * 16384);
  for (std::uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(cache.get(PieceIndex(i)));
  ASSERT_TRUE(cache.get(PieceIndex(3)));  // recent: still cached
  ASSERT_TRUE(cache.get(PieceIndex(0)));  // evicted: loaded again
  EXPECT_EQ(cache.loads(), 5u);
}

TEST(UploadCache, DataChangedOnDiskIsNeverServed) {
  Fixture f;
  UploadCache cache(f.meta, *f.storage, 4 * 16384);
  std::string changed = f.data;
  changed[16384 + 5] ^= 1;
  test::write_file(f.dir / "f", changed);
  auto p = cache.get(PieceIndex(1));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.status().code(), ErrorCode::corrupt_data);
  EXPECT_TRUE(cache.get(PieceIndex(0)));  // the other pieces are still fine
  // Truncated underneath: a read error, not zeros.
  test::write_file(f.dir / "f", f.data.substr(0, 40000));
  auto t = cache.get(PieceIndex(4));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.status().code(), ErrorCode::io_error);
}

TEST(UploadCache, ConcurrentRequestsForOnePieceShareOneLoad) {
  Fixture f;
  UploadCache cache(f.meta, *f.storage, 8 * 16384);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto p = cache.get(PieceIndex(2));
      ok += p && bytes_of(*p) == f.data.substr(2 * 16384, 16384);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(cache.loads(), 1u);
}

std::string bytes_of(const UploadCache::Block& b) { return std::string(b.bytes.begin(), b.bytes.end()); }

TEST(UploadCache, APieceLargerThanTheBudgetIsServedByTheBlockAlone) {
  Fixture f;  // 16 KiB pieces
  UploadCache cache(f.meta, *f.storage, 8192);
  EXPECT_EQ(cache.capacity(), 0u);
  auto b = cache.get_block(PieceIndex(2), 4096, 1024);
  ASSERT_TRUE(b) << b.status().to_string();
  EXPECT_EQ(bytes_of(*b), f.data.substr(2 * 16384 + 4096, 1024));
  EXPECT_EQ(cache.bytes_read(), 1024u);  // not the whole piece
  EXPECT_EQ(cache.block_reads(), 1u);
  EXPECT_EQ(cache.loads(), 0u);  // nothing hashed
  EXPECT_EQ(cache.peak_pieces(), 0u);
  // The short last piece, to its end.
  auto last = cache.get_block(PieceIndex(6), 0, static_cast<std::uint32_t>(f.data.size() - 6 * 16384));
  ASSERT_TRUE(last);
  EXPECT_EQ(bytes_of(*last), f.data.substr(6 * 16384));
  EXPECT_FALSE(cache.get_block(PieceIndex(6), 1, static_cast<std::uint32_t>(f.data.size() - 6 * 16384)));
}

TEST(UploadCache, BlockModeTrustsTheVerificationRecord) {
  // Documented trade-off: bytes changed after the piece was verified, outside
  // the block asked for, are not noticed (nothing is hashed); a truncated
  // file is still a read error.
  Fixture f;
  UploadCache cache(f.meta, *f.storage, 8192);
  std::string changed = f.data;
  changed[16384 + 10000] ^= 1;
  test::write_file(f.dir / "f", changed);
  auto b = cache.get_block(PieceIndex(1), 0, 4096);
  ASSERT_TRUE(b);
  EXPECT_EQ(bytes_of(*b), f.data.substr(16384, 4096));
  test::write_file(f.dir / "f", f.data.substr(0, 40000));
  auto t = cache.get_block(PieceIndex(4), 0, 4096);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.status().code(), ErrorCode::io_error);
}

TEST(UploadCache, AWholePieceIsReadAndCheckedWhenItFitsTheBudget) {
  Fixture f;
  UploadCache cache(f.meta, *f.storage, 16384);  // exactly one piece: no minimum of two
  EXPECT_EQ(cache.capacity(), 1u);
  auto b = cache.get_block(PieceIndex(3), 100, 200);
  ASSERT_TRUE(b);
  EXPECT_EQ(bytes_of(*b), f.data.substr(3 * 16384 + 100, 200));
  EXPECT_EQ(cache.loads(), 1u);
  EXPECT_EQ(cache.bytes_read(), 16384u);
  ASSERT_TRUE(cache.get_block(PieceIndex(3), 300, 200));  // the next block: from memory
  EXPECT_EQ(cache.hits(), 1u);
  ASSERT_TRUE(cache.get_block(PieceIndex(4), 0, 200));
  EXPECT_EQ(cache.peak_pieces(), 1u);
}

TEST(UploadCache, NeverHoldsMorePiecesThanTheBudgetAllows) {
  Fixture f;
  UploadCache cache(f.meta, *f.storage, 3 * 16384 + 100);
  ASSERT_EQ(cache.capacity(), 3u);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (unsigned t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (unsigned i = 0; i < 40; ++i) {
        std::uint32_t piece = (t * 3 + i * 5) % 6;  // pieces 0..5, all full size
        auto b = cache.get_block(PieceIndex(piece), 1000, 16);
        bad += !b || bytes_of(*b) != f.data.substr(piece * 16384 + 1000, 16);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(cache.peak_pieces(), 3u);
  EXPECT_GT(cache.loads(), 3u);  // it did have to evict
}

TEST(Verifier, SortsPiecesIntoCompleteMissingAndCorrupt) {
  Fixture f;  // 100,000 bytes, 7 pieces of 16 KiB
  std::string changed = f.data;
  changed[3 * 16384 + 100] ^= 0x40;                              // piece 3: corrupt
  std::fill(changed.begin() + 16384, changed.begin() + 2 * 16384, '\0');  // piece 1: a hole
  test::write_file(f.dir / "f", changed.substr(0, 5 * 16384 + 10));      // pieces 5, 6: cut off
  auto r = verify_pieces(f.meta, *f.storage, HashOptions{.threads = 2, .max_bytes_in_flight = 4 * 16384, .progress = {}});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->complete.count(), 3u);  // 0, 2, 4
  EXPECT_TRUE(r->complete.test(PieceIndex(0)));
  EXPECT_TRUE(r->complete.test(PieceIndex(2)));
  EXPECT_TRUE(r->complete.test(PieceIndex(4)));
  EXPECT_EQ(r->missing, (std::vector<std::uint32_t>{1, 5, 6}));
  EXPECT_EQ(r->corrupt, (std::vector<std::uint32_t>{3}));
  EXPECT_EQ(r->complete_bytes, 3 * 16384);
}

TEST(Verifier, AMissingFileIsMissingPiecesNotAnError) {
  Fixture f;
  std::filesystem::remove(f.dir / "f");
  auto r = verify_pieces(f.meta, *f.storage, HashOptions{});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->complete.count(), 0u);
  EXPECT_EQ(r->missing.size(), 7u);
  EXPECT_TRUE(r->corrupt.empty());
}

TEST(Verifier, CancelStopsARecheckEarly) {
  // 256 MiB in 1024 pieces: sparse, with a non-zero byte in every piece.
  test::TempDir dir;
  const std::int64_t piece = 256 * 1024, pieces = 1024, total = piece * pieces;
  {
    int fd = ::open((dir / "big").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, total), 0);
    for (std::int64_t i = 0; i < pieces; ++i) ASSERT_EQ(::pwrite(fd, "x", 1, i * piece + 7), 1);
    ::close(fd);
  }
  Value::Dict info{{"name", "big"}, {"piece length", piece}, {"length", total},
                   {"pieces", std::string(static_cast<std::size_t>(pieces) * 20, 'h')}};
  auto meta = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  ASSERT_TRUE(meta) << meta.status().to_string();
  auto storage = FileStorage::open(*meta, dir.path(), {.read_only = true});
  ASSERT_TRUE(storage);

  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::condition_variable cv;
  std::int64_t hashed = 0;  // bytes, from the progress callback; guarded by mu
  HashOptions opt{.threads = 2, .max_bytes_in_flight = 64u << 20, .progress = {}, .cancel = &cancel};
  opt.progress = [&](std::int64_t done) {
    std::lock_guard lock(mu);
    hashed = done;
    cv.notify_all();
  };
  Result<VerifyReport> result = Status(ErrorCode::io_error, "not run");
  std::thread checker([&] { result = verify_pieces(*meta, **storage, opt); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return hashed > 0; });
  }
  const auto cancelled_at = std::chrono::steady_clock::now();
  cancel.store(true);
  checker.join();
  const auto took = std::chrono::steady_clock::now() - cancelled_at;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.status().code(), ErrorCode::cancelled);
  EXPECT_LT(hashed, total / 8) << "far fewer than all pieces are hashed";
  EXPECT_LT(took, std::chrono::seconds(2));
}

}  // namespace
}  // namespace fluxo
