#include "pipeline/piece_hasher.h"

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "core/sha1.h"
#include "pipeline/buffer_pool.h"

namespace fluxo {
namespace {

namespace flow = oneapi::tbb::flow;

struct PieceJob {
  std::uint64_t ticket = 0;
  std::uint8_t* buffer = nullptr;
  std::uint32_t size = 0;
};

struct PieceDigest {
  std::uint64_t ticket = 0;
  Sha1Digest digest{};
};

// input_node body: reads the next piece, or stops the graph at the end or on
// the first error (recorded for the caller).
class PieceReader {
 public:
  PieceReader(PieceSource& src, BufferPool& pool, std::int64_t total, std::int64_t piece_length,
              const std::atomic<bool>* cancel, Status& error)
      : src_(&src), pool_(&pool), total_(total), piece_length_(piece_length), cancel_(cancel), error_(&error) {}

  PieceJob operator()(oneapi::tbb::flow_control& fc) {
    std::int64_t offset = static_cast<std::int64_t>(next_) * piece_length_;
    if (offset >= total_ || !error_->is_ok()) {
      fc.stop();
      return {};
    }
    if (cancelled()) {
      *error_ = Status(ErrorCode::cancelled, "hashing cancelled");
      fc.stop();
      return {};
    }
    PieceJob job;
    job.ticket = next_++;
    job.size = static_cast<std::uint32_t>(std::min(piece_length_, total_ - offset));
    if (src_->skip(job.ticket, job.size)) {
      job.size = 0;  // no buffer, nothing hashed
      return job;
    }
    // The limiter admits at most `in_flight` pieces and the pool holds one
    // more, so a buffer is always free here; yield if the hasher is late.
    while ((job.buffer = pool_->try_acquire()) == nullptr) std::this_thread::yield();
    if (Status s = src_->read({job.buffer, job.size}); !s) {
      *error_ = std::move(s);
      pool_->release(job.buffer);
      fc.stop();
      return {};
    }
    return job;
  }

 private:
  bool cancelled() const { return cancel_ != nullptr && cancel_->load(std::memory_order_relaxed); }

  PieceSource* src_;
  BufferPool* pool_;
  std::int64_t total_;
  std::int64_t piece_length_;
  const std::atomic<bool>* cancel_;
  Status* error_;
  std::uint64_t next_ = 0;
};

class PieceHashBody {
 public:
  explicit PieceHashBody(BufferPool& pool) : pool_(&pool) {}
  PieceDigest operator()(const PieceJob& job) const {
    PieceDigest out{job.ticket, {}};
    if (job.buffer == nullptr) return out;  // skipped
    out.digest = sha1(std::span<const std::uint8_t>(job.buffer, job.size));
    pool_->release(job.buffer);
    return out;
  }

 private:
  BufferPool* pool_;
};

// Serial: stores each digest at its ticket's slot, in ticket order.
class DigestCollector {
 public:
  DigestCollector(std::string& out, std::int64_t total, std::int64_t piece_length,
                  const std::function<void(std::int64_t)>& progress)
      : out_(&out), total_(total), piece_length_(piece_length), progress_(&progress) {}
  flow::continue_msg operator()(const PieceDigest& d) const {
    std::memcpy(out_->data() + d.ticket * kSha1Size, d.digest.data(), kSha1Size);
    if (*progress_) {
      (*progress_)(std::min(total_, static_cast<std::int64_t>(d.ticket + 1) * piece_length_));
    }
    return {};
  }

 private:
  std::string* out_;
  std::int64_t total_;
  std::int64_t piece_length_;
  const std::function<void(std::int64_t)>* progress_;
};

}  // namespace

Result<std::string> hash_pieces(PieceSource& source, std::int64_t total, std::int64_t piece_length,
                                const HashOptions& options, HashStats* stats) {
  if (total <= 0 || piece_length <= 0 || piece_length > (std::int64_t{1} << 30)) {
    return Status(ErrorCode::invalid_argument, "nothing to hash");
  }
  const std::int64_t pieces = (total - 1) / piece_length + 1;
  const unsigned threads = options.threads ? options.threads
                                           : static_cast<unsigned>(oneapi::tbb::info::default_concurrency());
  const std::size_t in_flight = std::clamp<std::size_t>(
      options.max_bytes_in_flight / static_cast<std::size_t>(piece_length), 2, 4 * threads + 4);

  std::string digests(static_cast<std::size_t>(pieces) * kSha1Size, '\0');
  Status error;
  BufferPool pool(static_cast<std::size_t>(piece_length), in_flight + 1);

  // High priority, before the peer arena's demand (thread_budget.h).
  oneapi::tbb::task_arena arena(static_cast<int>(threads), 1, oneapi::tbb::task_arena::priority::high);
  arena.execute([&] {
    flow::graph g;
    flow::input_node<PieceJob> reader(g, PieceReader(source, pool, total, piece_length, options.cancel, error));
    flow::limiter_node<PieceJob> limiter(g, in_flight);
    flow::function_node<PieceJob, PieceDigest> hasher(g, flow::unlimited, PieceHashBody(pool));
    flow::sequencer_node<PieceDigest> order(g, [](const PieceDigest& d) { return d.ticket; });
    flow::function_node<PieceDigest, flow::continue_msg> collector(
        g, flow::serial, DigestCollector(digests, total, piece_length, options.progress));
    flow::make_edge(reader, limiter);
    flow::make_edge(limiter, hasher);
    flow::make_edge(hasher, order);
    flow::make_edge(order, collector);
    flow::make_edge(collector, limiter.decrementer());
    reader.activate();
    g.wait_for_all();
  });
  if (stats) stats->buffers_allocated = pool.peak_in_use();
  if (!error) return error;
  return digests;
}

}  // namespace fluxo
