// The shared hashing and writing pipeline with several torrents at once,
// over in-memory storage: every piece lands in its own torrent's storage at
// its offset, a bad piece is reported to its own torrent only, and a torrent
// whose disk fails does not stop the others.
#include "pipeline/piece_pipeline.h"

#include <gtest/gtest.h>

#include <future>

#include <cstring>
#include <mutex>
#include <set>

#include "core/bencode_value.h"
#include "core/sha1.h"
#include "storage/memory_storage.h"

namespace fluxo {
namespace {

using bencode::Value;

constexpr std::int64_t kPiece = 2 * 16384;

struct Recorder : PieceSink {
  void on_verified(const std::shared_ptr<ActivePiece>& p) override { note(verified, p); }
  void on_hash_failed(const std::shared_ptr<ActivePiece>& p) override { note(failed, p); }
  void on_write_failed(const std::shared_ptr<ActivePiece>& p, const Status&) override { note(write_failed, p); }
  void note(std::set<std::uint32_t>& into, const std::shared_ptr<ActivePiece>& p) {
    std::lock_guard lock(mu);
    into.insert(p->index().value());
    p->release_buffer();
  }
  std::mutex mu;
  std::set<std::uint32_t> verified, failed, write_failed;
};

// A torrent of `pieces` pieces (the last one short) with its own bytes.
struct Torrent {
  Torrent(int pieces, std::uint8_t seed, MemoryBudget& memory)
      : data(static_cast<std::size_t>(pieces * kPiece - 1000)), storage(static_cast<std::int64_t>(data.size())),
        pool(memory, kPiece) {
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 13 + seed + i / 4096);
    std::string hashes;
    for (std::size_t at = 0; at < data.size(); at += kPiece) {
      auto d = sha1(std::span(data.data() + at, std::min<std::size_t>(kPiece, data.size() - at)));
      hashes.append(reinterpret_cast<const char*>(d.data()), d.size());
    }
    Value::Dict info{{"name", "t" + std::to_string(seed)}, {"piece length", kPiece},
                     {"length", static_cast<std::int64_t>(data.size())}, {"pieces", hashes}};
    meta = *parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
    target = std::make_unique<PieceTarget>(meta, storage, sink);
  }
  // Piece i as a peer would complete it; `corrupt` flips a byte.
  std::shared_ptr<ActivePiece> piece(std::uint32_t i, bool corrupt = false) {
    const auto size = static_cast<std::uint32_t>(meta.piece_size(PieceIndex(i)));
    PieceBuffer buf = pool.try_acquire();
    EXPECT_TRUE(buf);
    std::memcpy(buf.data(), data.data() + i * kPiece, size);
    if (corrupt) buf.data()[size / 2] ^= 1;
    return std::make_shared<ActivePiece>(PieceIndex(i), size, std::move(buf));
  }
  std::vector<std::uint8_t> data;
  Metainfo meta;
  MemoryStorage storage;
  PiecePool pool;
  Recorder sink;
  std::unique_ptr<PieceTarget> target;
};

TEST(PiecePipeline, PiecesOfTwoTorrentsEachLandInTheirOwnStorage) {
  MemoryBudget memory(64 * kPiece);
  PiecePipeline pipeline(2);
  Torrent a(9, 1, memory), b(7, 2, memory);
  // Interleaved, out of order, one bad piece in b.
  for (std::uint32_t i : {3u, 0u, 1u, 2u, 8u, 4u, 5u, 6u, 7u}) {
    pipeline.submit(a.piece(i), *a.target);
    if (i < 7) pipeline.submit(b.piece(i, /*corrupt=*/i == 5), *b.target);
  }
  pipeline.wait();
  EXPECT_EQ(a.sink.verified.size(), 9u);
  EXPECT_TRUE(a.sink.failed.empty());
  EXPECT_EQ(b.sink.verified.size(), 6u);
  EXPECT_EQ(b.sink.failed, std::set<std::uint32_t>{5});
  EXPECT_EQ(a.storage.bytes(), a.data);
  std::vector<std::uint8_t> want_b = b.data;
  std::fill(want_b.begin() + 5 * kPiece, want_b.begin() + 6 * kPiece, 0);  // the bad piece is never written
  EXPECT_EQ(b.storage.bytes(), want_b);
  EXPECT_EQ(a.target->pieces_written.load(), 9u);
  EXPECT_EQ(b.target->pieces_written.load(), 6u);
  EXPECT_EQ(pipeline.stats().pieces_written, 15u);
  EXPECT_EQ(memory.in_use(), 0u);  // every buffer back
}

// Its first write waits until the test opens the gate.
struct GatedStorage : Storage {
  explicit GatedStorage(Storage& inner) : inner_(inner), open_(gate_.get_future().share()) {}
  Status write(std::int64_t offset, std::span<const iovec> iov) override {
    open_.wait();
    return inner_.write(offset, iov);
  }
  Status read(std::int64_t offset, std::span<std::uint8_t> out) override { return inner_.read(offset, out); }
  Status sync() override { return inner_.sync(); }
  void open() { gate_.set_value(); }
  Storage& inner_;
  std::promise<void> gate_;
  std::shared_future<void> open_;
};

// Pieces that queue up behind a slow write go to disk as one pwritev: with
// the first write held until all eight are submitted, pieces 1-7 (or all
// eight) reach the writer before the pipeline drains, whatever the timing.
TEST(PiecePipeline, AdjacentPiecesQueuedBehindAWriteAreWrittenTogether) {
  MemoryBudget memory(64 * kPiece);
  PiecePipeline pipeline(2);
  Torrent a(8, 5, memory);
  GatedStorage gated(a.storage);
  PieceTarget target(a.meta, gated, a.sink);
  for (std::uint32_t i = 0; i < 8; ++i) pipeline.submit(a.piece(i), target);
  gated.open();
  pipeline.wait(target);
  EXPECT_EQ(a.storage.bytes(), a.data);
  EXPECT_LE(a.storage.writes(), 2u);
  EXPECT_EQ(target.pieces_written.load(), 8u);
}

TEST(PiecePipeline, ATorrentWhoseDiskFailsDoesNotStopTheOthers) {
  MemoryBudget memory(64 * kPiece);
  PiecePipeline pipeline(2);
  Torrent a(6, 3, memory), b(6, 4, memory);
  a.storage.fail_writes_from(2 * kPiece);
  for (std::uint32_t i = 0; i < 6; ++i) {
    pipeline.submit(a.piece(i), *a.target);
    pipeline.wait(*a.target);  // one at a time: no batch spans the failure
    pipeline.submit(b.piece(i), *b.target);
  }
  pipeline.wait(*b.target);
  EXPECT_EQ(a.sink.verified, (std::set<std::uint32_t>{0, 1}));
  EXPECT_EQ(a.sink.write_failed, (std::set<std::uint32_t>{2, 3, 4, 5}));
  EXPECT_FALSE(a.target->failed.is_ok());
  EXPECT_EQ(b.sink.verified.size(), 6u);
  EXPECT_EQ(b.storage.bytes(), b.data);
}

TEST(PiecePipeline, WaitForOneTorrentReturnsWhenItsPiecesAreSettled) {
  MemoryBudget memory(64 * kPiece);
  PiecePipeline pipeline(1);
  Torrent a(4, 5, memory);
  for (std::uint32_t i = 0; i < 4; ++i) pipeline.submit(a.piece(i), *a.target);
  pipeline.wait(*a.target);
  EXPECT_EQ(a.target->settled.load(), 4u);
  EXPECT_EQ(a.sink.verified.size(), 4u);
  // The target may go now; the pipeline goes on with others.
  a.target.reset();
  Torrent b(2, 6, memory);
  pipeline.submit(b.piece(0), *b.target);
  pipeline.submit(b.piece(1), *b.target);
  pipeline.wait(*b.target);
  EXPECT_EQ(b.storage.bytes(), b.data);
}

}  // namespace
}  // namespace fluxo
