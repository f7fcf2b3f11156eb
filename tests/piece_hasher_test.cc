#include "pipeline/piece_hasher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>

#include "core/sha1.h"

namespace fluxo {
namespace {

class MemorySource : public PieceSource {
 public:
  explicit MemorySource(std::string data) : data_(std::move(data)) {}
  Status read(std::span<std::uint8_t> out) override {
    if (fail_at_ != std::string::npos && pos_ + out.size() > fail_at_) {
      return Status(ErrorCode::io_error, "disk on fire");
    }
    std::memcpy(out.data(), data_.data() + pos_, out.size());
    pos_ += out.size();
    return Status::ok();
  }
  std::size_t fail_at_ = std::string::npos;

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

std::string random_bytes(std::size_t n) {
  std::mt19937 rng(7);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string expected_digests(const std::string& data, std::size_t piece) {
  std::string out;
  for (std::size_t off = 0; off < data.size(); off += piece) {
    auto d = sha1(std::string_view(data).substr(off, piece));
    out.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  return out;
}

TEST(PieceHasher, MatchesSequentialSha1WithAShortLastPiece) {
  std::string data = random_bytes(1'000'003);
  for (unsigned threads : {1u, 2u, 4u}) {
    MemorySource src(data);
    HashOptions opt;
    opt.threads = threads;
    auto r = hash_pieces(src, static_cast<std::int64_t>(data.size()), 16384, opt);
    ASSERT_TRUE(r) << r.status().to_string();
    EXPECT_EQ(*r, expected_digests(data, 16384)) << threads << " threads";
  }
}

TEST(PieceHasher, SinglePieceSmallerThanPieceLength) {
  std::string data = "tiny";
  MemorySource src(data);
  auto r = hash_pieces(src, 4, 16384, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, expected_digests(data, 16384));
}

TEST(PieceHasher, MemoryInFlightIsBounded) {
  std::string data = random_bytes(4 << 20);
  MemorySource src(data);
  HashOptions opt;
  opt.threads = 2;
  opt.max_bytes_in_flight = 4 * 16384;
  HashStats stats;
  auto r = hash_pieces(src, static_cast<std::int64_t>(data.size()), 16384, opt, &stats);
  ASSERT_TRUE(r);
  // 256 pieces went through at most limiter capacity + the reader's one in hand.
  EXPECT_LE(stats.buffers_allocated, 5u);
  EXPECT_GE(stats.buffers_allocated, 1u);
}

TEST(PieceHasher, ProgressIsReportedInOrderUpToTheTotal) {
  std::string data = random_bytes(100'000);
  MemorySource src(data);
  std::vector<std::int64_t> seen;
  HashOptions opt;
  opt.progress = [&](std::int64_t done) { seen.push_back(done); };
  ASSERT_TRUE(hash_pieces(src, 100'000, 16384, opt));
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), 100'000);
}

TEST(PieceHasher, AReadErrorStopsTheGraphAndIsReturned) {
  std::string data = random_bytes(1 << 20);
  MemorySource src(data);
  src.fail_at_ = 500'000;
  auto r = hash_pieces(src, static_cast<std::int64_t>(data.size()), 16384, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::io_error);
  EXPECT_EQ(r.status().message(), "disk on fire");
}

TEST(PieceHasher, RejectsEmptyPayload) {
  MemorySource src("");
  EXPECT_FALSE(hash_pieces(src, 0, 16384, {}));
}

// An endless-looking payload: pattern bytes, counted as they are read.
class CountingSource : public PieceSource {
 public:
  Status read(std::span<std::uint8_t> out) override {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 31 + reads);
    ++reads;
    return Status::ok();
  }
  std::atomic<std::uint64_t> reads{0};
};

TEST(PieceHasher, CancelStopsReadingAndReturnsCancelled) {
  CountingSource src;
  std::atomic<bool> cancel{false};
  const std::int64_t piece = 16384, pieces = 20000;
  HashOptions opt;
  opt.threads = 2;
  opt.cancel = &cancel;
  opt.progress = [&](std::int64_t) { cancel.store(true); };  // after the first digest
  auto r = hash_pieces(src, piece * pieces, piece, opt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::cancelled);
  // At most the pieces in flight (4 x threads + 4) and the one being read
  // when the first digest landed.
  EXPECT_LE(src.reads.load(), 2u * 4 + 4 + 2);
}

}  // namespace
}  // namespace fluxo
