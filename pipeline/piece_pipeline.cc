#include "pipeline/piece_pipeline.h"

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/task_arena.h>
#include <sys/uio.h>

#include <thread>
#include <vector>

#include "core/sha1.h"

namespace fluxo {
namespace {

namespace flow = oneapi::tbb::flow;

struct PieceJob {
  std::uint64_t ticket = 0;
  std::shared_ptr<ActivePiece> piece;
  bool verified = false;
};

class HashPiece {
 public:
  explicit HashPiece(const Metainfo& meta) : meta_(&meta) {}
  PieceJob operator()(PieceJob job) const {
    const ActivePiece& p = *job.piece;
    job.verified = sha1(std::span<const std::uint8_t>(p.data(), p.size())) == meta_->piece_hash(p.index());
    return job;
  }

 private:
  const Metainfo* meta_;
};

}  // namespace

// Serial writer: keeps a run of index-adjacent verified pieces and writes it
// with one call when the run breaks, reaches the byte cap, or nothing more is
// in flight (so a lone piece is never held back).
struct PiecePipeline::Impl {
  Impl(const Metainfo& m, FileStorage& s, PieceSink& k, unsigned threads, std::size_t batch)
      : meta(m), storage(s), sink(k), arena(static_cast<int>(threads), 0), max_batch(batch) {}

  flow::continue_msg write_stage(const PieceJob& job) {
    ++processed;
    if (!job.verified) {
      sink.on_hash_failed(job.piece);
    } else if (!failed.is_ok()) {
      sink.on_write_failed(job.piece, failed);
    } else {
      if (!run.empty() && (job.piece->index().value() != run.back()->index().value() + 1 ||
                           run_bytes + job.piece->size() > max_batch || run.size() >= 512)) {
        flush();
      }
      run.push_back(job.piece);
      run_bytes += job.piece->size();
    }
    if (processed == issued.load(std::memory_order_acquire)) flush();
    return {};
  }

  void flush() {
    if (run.empty()) return;
    iov.clear();
    for (const auto& p : run) iov.push_back({p->data(), p->size()});
    std::int64_t offset = static_cast<std::int64_t>(run.front()->index().value()) * meta.piece_length;
    Status s = failed.is_ok() ? storage.write(offset, iov) : failed;
    written_calls.fetch_add(1, std::memory_order_relaxed);
    if (!s) failed = s;
    for (const auto& p : run) {
      if (s) {
        written.fetch_add(1, std::memory_order_relaxed);
        sink.on_verified(p);
      } else {
        sink.on_write_failed(p, s);
      }
    }
    run.clear();
    run_bytes = 0;
  }

  const Metainfo& meta;
  FileStorage& storage;
  PieceSink& sink;
  oneapi::tbb::task_arena arena;
  std::size_t max_batch;
  std::atomic<std::uint64_t> issued{0};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> written_calls{0};
  // Writer-stage state (serial node only).
  std::uint64_t processed = 0;
  std::vector<std::shared_ptr<ActivePiece>> run;
  std::size_t run_bytes = 0;
  std::vector<iovec> iov;
  Status failed;

  std::unique_ptr<flow::graph> graph;
  std::unique_ptr<flow::function_node<PieceJob, PieceJob>> hash;
  std::unique_ptr<flow::sequencer_node<PieceJob>> order;
  std::unique_ptr<flow::function_node<PieceJob, flow::continue_msg>> write;
};

PiecePipeline::PiecePipeline(const Metainfo& meta, FileStorage& storage, PieceSink& sink,
                             unsigned hash_threads, std::size_t max_batch_bytes)
    : impl_(std::make_unique<Impl>(meta, storage, sink, hash_threads ? hash_threads : 1, max_batch_bytes)) {
  Impl* d = impl_.get();
  // The graph attaches to the arena it is built in: its tasks run there,
  // whichever thread calls submit().
  d->arena.execute([d] {
    d->graph = std::make_unique<flow::graph>();
    d->hash = std::make_unique<flow::function_node<PieceJob, PieceJob>>(*d->graph, flow::unlimited,
                                                                        HashPiece(d->meta));
    d->order = std::make_unique<flow::sequencer_node<PieceJob>>(
        *d->graph, [](const PieceJob& j) { return static_cast<std::size_t>(j.ticket); });
    d->write = std::make_unique<flow::function_node<PieceJob, flow::continue_msg>>(
        *d->graph, flow::serial, [d](const PieceJob& j) { return d->write_stage(j); });
    flow::make_edge(*d->hash, *d->order);
    flow::make_edge(*d->order, *d->write);
  });
}

PiecePipeline::~PiecePipeline() { wait(); }

void PiecePipeline::submit(std::shared_ptr<ActivePiece> piece) {
  PieceJob job{impl_->issued.fetch_add(1, std::memory_order_acq_rel), std::move(piece), false};
  while (!impl_->hash->try_put(job)) std::this_thread::yield();  // never drop a piece
}

void PiecePipeline::wait() {
  Impl* d = impl_.get();
  d->arena.execute([d] { d->graph->wait_for_all(); });
}

PipelineStats PiecePipeline::stats() const {
  return {impl_->written.load(std::memory_order_relaxed), impl_->written_calls.load(std::memory_order_relaxed)};
}

}  // namespace fluxo
