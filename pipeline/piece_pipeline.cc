#include "pipeline/piece_pipeline.h"

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/task_arena.h>
#include <sys/uio.h>

#include <chrono>
#include <thread>
#include <vector>

#include "core/sha1.h"

namespace fluxo {
namespace {

namespace flow = oneapi::tbb::flow;

struct PieceJob {
  std::uint64_t ticket = 0;
  std::shared_ptr<ActivePiece> piece;
  PieceTarget* target = nullptr;
  bool verified = false;
};

class HashPiece {
 public:
  explicit HashPiece(std::atomic<std::uint64_t>& hashed) : hashed_(&hashed) {}
  PieceJob operator()(PieceJob job) const {
    hashed_->fetch_add(1, std::memory_order_relaxed);
    const ActivePiece& p = *job.piece;
    job.verified = sha1(std::span<const std::uint8_t>(p.data(), p.size())) == job.target->meta.piece_hash(p.index());
    return job;
  }

 private:
  std::atomic<std::uint64_t>* hashed_;
};

}  // namespace

// Serial writer: keeps a run of index-adjacent verified pieces of one torrent
// and writes it with one call when the run breaks, reaches the byte cap, or
// nothing more is in flight (so a lone piece is never held back).
struct PiecePipeline::Impl {
  // High priority: oneTBB serves this arena's demand before the peer arena's
  // (thread_budget.h).
  Impl(unsigned threads, std::size_t batch)
      : arena(static_cast<int>(threads), 1, oneapi::tbb::task_arena::priority::high), max_batch(batch) {}

  flow::continue_msg write_stage(const PieceJob& job) {
    ++processed;
    processed_seen.store(processed, std::memory_order_relaxed);
    PieceTarget& t = *job.target;
    if (!job.verified) {
      deliver(t, [&] { t.sink.on_hash_failed(job.piece); });
      settle(t, 1);
    } else if (!t.failed.is_ok()) {
      deliver(t, [&] { t.sink.on_write_failed(job.piece, t.failed); });
      settle(t, 1);
    } else {
      if (!run.empty() && (run_target != &t || job.piece->index().value() != run.back()->index().value() + 1 ||
                           run_bytes + job.piece->size() > max_batch || run.size() >= 512)) {
        flush();
      }
      run_target = &t;
      run.push_back(job.piece);
      run_bytes += job.piece->size();
    }
    if (processed == issued.load(std::memory_order_acquire)) flush();
    return {};
  }

  void flush() {
    if (run.empty()) return;
    PieceTarget& t = *run_target;
    iov.clear();
    for (const auto& p : run) iov.push_back({p->data(), p->size()});
    std::int64_t offset = static_cast<std::int64_t>(run.front()->index().value()) * t.meta.piece_length;
    Status s = t.failed.is_ok() ? t.storage.write(offset, iov) : t.failed;
    written_calls.fetch_add(1, std::memory_order_relaxed);
    t.write_calls.fetch_add(1, std::memory_order_relaxed);
    if (!s) t.failed = s;
    for (const auto& p : run) {
      if (s) {
        written.fetch_add(1, std::memory_order_relaxed);
        t.pieces_written.fetch_add(1, std::memory_order_relaxed);
        deliver(t, [&] { t.sink.on_verified(p); });
      } else {
        deliver(t, [&] { t.sink.on_write_failed(p, s); });
      }
    }
    const std::size_t n = run.size();
    run.clear();
    run_bytes = 0;
    run_target = nullptr;
    settle(t, n);  // last: the target may go once wait(target) returns
  }

  // Runs a sink callback. An exception must not leave a node body (it would
  // cancel the graph, and wait() would never return): it fails the torrent
  // instead, so every later piece of it is reported as a write failure.
  template <class F>
  void deliver(PieceTarget& t, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      if (t.failed.is_ok()) t.failed = Status(ErrorCode::io_error, std::string("committing a piece: ") + e.what());
    }
  }

  // `n` more pieces of `t` have reached its sink (written and committed, or
  // failed): wait() may return once every issued piece has.
  // The target is not touched after its count: wait(target) may return and
  // its owner destroy it at once. Waiters sleep on the pipeline's counter.
  void settle(PieceTarget& t, std::size_t n) {
    t.settled.fetch_add(n, std::memory_order_acq_rel);
    settled.fetch_add(n, std::memory_order_acq_rel);
    settled.notify_all();
  }

  oneapi::tbb::task_arena arena;
  std::size_t max_batch;
  std::atomic<std::uint64_t> issued{0};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> written_calls{0};
  std::atomic<std::uint64_t> hashed{0};
  std::atomic<std::uint64_t> processed_seen{0};
  std::atomic<std::uint64_t> settled{0};  // pieces whose sink callback has run
  std::atomic<bool> running{true};
  std::atomic<std::uint64_t> kicks{0};  // bumped by every submit; the driver sleeps on it
  std::thread driver;  // the arena's own thread: see the constructor
  // Writer-stage state (serial node only).
  std::uint64_t processed = 0;
  std::vector<std::shared_ptr<ActivePiece>> run;
  PieceTarget* run_target = nullptr;
  std::size_t run_bytes = 0;
  std::vector<iovec> iov;

  std::unique_ptr<flow::graph> graph;
  std::unique_ptr<flow::function_node<PieceJob, PieceJob>> hash;
  std::unique_ptr<flow::sequencer_node<PieceJob>> order;
  std::unique_ptr<flow::function_node<PieceJob, flow::continue_msg>> write;
};

PiecePipeline::PiecePipeline(unsigned hash_threads, std::size_t max_batch_bytes)
    : impl_(std::make_unique<Impl>(hash_threads ? hash_threads : 1, max_batch_bytes)) {
  Impl* d = impl_.get();
  // The graph attaches to the arena it is built in: its tasks run there,
  // whichever thread calls submit().
  d->arena.execute([d] {
    d->graph = std::make_unique<flow::graph>();
    d->hash = std::make_unique<flow::function_node<PieceJob, PieceJob>>(*d->graph, flow::unlimited,
                                                                        HashPiece(d->hashed));
    d->order = std::make_unique<flow::sequencer_node<PieceJob>>(
        *d->graph, [](const PieceJob& j) { return static_cast<std::size_t>(j.ticket); });
    d->write = std::make_unique<flow::function_node<PieceJob, flow::continue_msg>>(
        *d->graph, flow::serial, [d](const PieceJob& j) { return d->write_stage(j); });
    flow::make_edge(*d->hash, *d->order);
    flow::make_edge(*d->order, *d->write);
  });
  // A try_put from a peer thread only spawns a task into this arena, and
  // oneTBB does not promise that a worker will come for it: we saw the last
  // piece wait 10 s for one. So one thread of our own lives in the arena and
  // drains the graph whenever it has work; workers join it under load.
  // It sleeps on `kicks` between bursts: a submit after it read `seen` makes
  // the wait return at once, one before was already visible to wait_for_all.
  // `seen` is read before `running`: the destructor clears `running` and
  // then bumps `kicks`, so either the loop sees running == false or its
  // wait sees the bump; reading them the other way round could sleep
  // through both and hang join().
  d->driver = std::thread([d] {
    while (true) {
      std::uint64_t seen = d->kicks.load(std::memory_order_acquire);
      if (!d->running.load(std::memory_order_acquire)) break;
      d->arena.execute([d] { d->graph->wait_for_all(); });
      d->kicks.wait(seen, std::memory_order_acquire);
    }
  });
}

PiecePipeline::~PiecePipeline() {
  wait();
  impl_->running.store(false);
  impl_->kicks.fetch_add(1, std::memory_order_acq_rel);
  impl_->kicks.notify_one();
  impl_->driver.join();
  // Drain the graph before its nodes go: members die in reverse order, nodes
  // before the graph, and a task still queued for a node would run on freed
  // memory inside ~graph (ASan caught it once, on a run with nothing to fetch).
  Impl* d = impl_.get();
  d->arena.execute([d] { d->graph->wait_for_all(); });
  d->write.reset();
  d->order.reset();
  d->hash.reset();
  d->graph.reset();
}

void PiecePipeline::submit(std::shared_ptr<ActivePiece> piece, PieceTarget& target) {
  Impl* d = impl_.get();
  target.issued.fetch_add(1, std::memory_order_acq_rel);
  PieceJob job{d->issued.fetch_add(1, std::memory_order_acq_rel), std::move(piece), &target, false};
  while (!d->hash->try_put(job)) std::this_thread::yield();  // never drop a piece
  d->kicks.fetch_add(1, std::memory_order_acq_rel);
  d->kicks.notify_one();
}

void PiecePipeline::wait() {
  Impl* d = impl_.get();
  const std::uint64_t target = d->issued.load(std::memory_order_acquire);
  for (std::uint64_t n = d->settled.load(std::memory_order_acquire); n < target;
       n = d->settled.load(std::memory_order_acquire)) {
    d->settled.wait(n, std::memory_order_acquire);
  }
}

void PiecePipeline::wait(PieceTarget& t) {
  Impl* d = impl_.get();
  const std::uint64_t target = t.issued.load(std::memory_order_acquire);
  while (true) {
    // The pipeline's counter moves after the target's (see settle).
    std::uint64_t all = d->settled.load(std::memory_order_acquire);
    if (t.settled.load(std::memory_order_acquire) >= target) return;
    d->settled.wait(all, std::memory_order_acquire);
  }
}

PipelineStats PiecePipeline::stats() const {
  PipelineStats s;
  s.submitted = impl_->issued.load(std::memory_order_relaxed);
  s.hashed = impl_->hashed.load(std::memory_order_relaxed);
  s.processed = impl_->processed_seen.load(std::memory_order_relaxed);
  s.pieces_written = impl_->written.load(std::memory_order_relaxed);
  s.write_calls = impl_->written_calls.load(std::memory_order_relaxed);
  return s;
}

}  // namespace fluxo
