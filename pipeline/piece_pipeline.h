// The session's verification and storage pipeline, a oneTBB flow graph
// shared by every torrent:
//
//   submit() --> hash (parallel SHA-1) --> order (sequencer on tickets)
//            --> write (serial; adjacent pieces of one torrent batched into
//                one pwritev per file) --> the torrent's PieceSink (commit)
//
// A job carries its torrent (a PieceTarget: metainfo for the hash, storage,
// sink). Peers hand over a complete piece as a shared handle; nothing is
// copied. Every submitted piece gets the next dense ticket, and every ticket
// leaves the hash stage, verified or not, so the sequencer never waits on a
// hole. Node bodies do not throw: a failure is a flag in the message. A write
// failure fails that torrent only (later pieces of it are reported as write
// failures); the others go on.
//
// The graph runs in its own task_arena sized to the hashing threads, apart
// from the peer arena whose tasks block on sockets; one thread of the
// pipeline's own sits in that arena so that work handed over from peer
// threads never waits for oneTBB to lend a worker. Memory in flight is
// bounded upstream by the piece pools (pipeline/piece_memory.h): a peer
// cannot start a piece without a buffer, and a buffer returns only after its
// piece is committed or discarded. submit() therefore never needs to refuse;
// if the graph ever did refuse a message, submit() retries rather than drop
// it.
//
// Thread-safety: submit() from any thread; wait() from any thread; a sink's
// callbacks run on the serial writer stage, one at a time. A target must
// stay alive until wait(target) has returned after its last submit().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/metainfo.h"
#include "pipeline/active_piece.h"
#include "storage/storage.h"

namespace fluxo {

class PieceSink {
 public:
  virtual ~PieceSink() = default;
  virtual void on_verified(const std::shared_ptr<ActivePiece>& piece) = 0;
  virtual void on_hash_failed(const std::shared_ptr<ActivePiece>& piece) = 0;
  virtual void on_write_failed(const std::shared_ptr<ActivePiece>& piece, const Status& error) = 0;
};

// One torrent's place in the pipeline.
struct PieceTarget {
  PieceTarget(const Metainfo& m, Storage& s, PieceSink& k) : meta(m), storage(s), sink(k) {}
  PieceTarget(const PieceTarget&) = delete;
  PieceTarget& operator=(const PieceTarget&) = delete;
  const Metainfo& meta;
  Storage& storage;
  PieceSink& sink;
  std::atomic<std::uint64_t> issued{0};
  std::atomic<std::uint64_t> settled{0};  // reached the sink
  std::atomic<std::uint64_t> pieces_written{0};
  std::atomic<std::uint64_t> write_calls{0};
  Status failed;  // writer stage only: the first write failure
};

struct PipelineStats {
  std::uint64_t submitted = 0;
  std::uint64_t hashed = 0;
  std::uint64_t processed = 0;    // reached the writer stage
  std::uint64_t pieces_written = 0;
  std::uint64_t write_calls = 0;  // batches; each is one pwritev per file touched
};

class PiecePipeline {
 public:
  explicit PiecePipeline(unsigned hash_threads, std::size_t max_batch_bytes = 16u << 20);
  ~PiecePipeline();
  PiecePipeline(const PiecePipeline&) = delete;
  PiecePipeline& operator=(const PiecePipeline&) = delete;

  void submit(std::shared_ptr<ActivePiece> piece, PieceTarget& target);
  // Returns when every piece submitted so far has reached its sink: its
  // write returned and on_verified ran (or it failed and its callback ran).
  void wait();
  // The same for one torrent's pieces.
  void wait(PieceTarget& target);
  PipelineStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fluxo
