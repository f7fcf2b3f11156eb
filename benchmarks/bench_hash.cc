// SHA-1 throughput alone and through the create pipeline (reader -> parallel
// SHA-1 -> sequencer -> collector) with 1 and 2 hashing threads. The payload
// is in memory, so the figures are the pipeline's, not the disk's.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>

#include "core/sha1.h"
#include "pipeline/piece_hasher.h"

namespace {

constexpr std::size_t kPayload = std::size_t{512} << 20;

const std::string& payload() {
  static const std::string p = [] {
    std::string s(kPayload, '\0');
    std::mt19937_64 rng(1);
    for (std::size_t i = 0; i < s.size(); i += 8) {
      std::uint64_t v = rng();
      std::memcpy(s.data() + i, &v, 8);
    }
    return s;
  }();
  return p;
}

class MemorySource : public fluxo::PieceSource {
 public:
  explicit MemorySource(const std::string& d) : d_(d) {}
  fluxo::Status read(std::span<std::uint8_t> out) override {
    std::memcpy(out.data(), d_.data() + pos_, out.size());
    pos_ += out.size();
    return fluxo::Status::ok();
  }

 private:
  const std::string& d_;
  std::size_t pos_ = 0;
};

void BM_Sha1SingleThread(benchmark::State& state) {
  const std::string& p = payload();
  const auto piece = static_cast<std::size_t>(state.range(0));
  std::size_t off = 0;
  for (auto _ : state) {
    if (off + piece > p.size()) off = 0;
    benchmark::DoNotOptimize(fluxo::sha1(std::string_view(p).substr(off, piece)));
    off += piece;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * piece));
}
BENCHMARK(BM_Sha1SingleThread)->Arg(16 << 10)->Arg(1 << 20);

void BM_CreatePipeline(benchmark::State& state) {
  const std::string& p = payload();
  fluxo::HashOptions opt;
  opt.threads = static_cast<unsigned>(state.range(0));
  const std::int64_t piece = state.range(1);
  fluxo::HashStats stats;
  for (auto _ : state) {
    MemorySource src(p);
    auto r = fluxo::hash_pieces(src, static_cast<std::int64_t>(p.size()), piece, opt, &stats);
    if (!r) state.SkipWithError("hashing failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * p.size()));
  state.counters["buffers"] = static_cast<double>(stats.buffers_allocated);
}
BENCHMARK(BM_CreatePipeline)
    ->ArgNames({"threads", "piece"})
    ->Args({1, 1 << 20})
    ->Args({2, 1 << 20})
    ->Args({1, 256 << 10})
    ->Args({2, 256 << 10})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
