// Bencode decoding and full .torrent validation on a real-shaped large
// torrent: 20,000 files in nested directories, 16 MiB pieces (about 20 GB, 1,200 pieces: the file list dominates).
#include <benchmark/benchmark.h>

#include <random>

#include "core/bencode.h"
#include "core/metainfo.h"
#include "core/torrent_builder.h"

namespace {

std::string make_large_torrent(int files) {
  fluxo::TorrentSpec spec;
  spec.name = "A Large Collection of Files (2026)";
  std::mt19937 rng(42);
  std::int64_t total = 0;
  for (int i = 0; i < files; ++i) {
    fluxo::TorrentSpec::File f;
    f.path = {"disc " + std::to_string(i / 1000), "chapter " + std::to_string(i / 50 % 20),
              "track-" + std::to_string(i) + " - some descriptive title.flac"};
    f.size = 10'000 + static_cast<std::int64_t>(rng() % 2'000'000);
    total += f.size;
    spec.files.push_back(std::move(f));
  }
  spec.piece_length = std::int64_t{16} << 20;
  std::string hashes(static_cast<std::size_t>((total + spec.piece_length - 1) / spec.piece_length) * 20, '\0');
  for (char& c : hashes) c = static_cast<char>(rng());
  spec.piece_hashes = std::move(hashes);
  spec.trackers = {{"http://tracker.example/announce"}, {"udp://tracker.example:6969"}};
  spec.created_by = "fluxo bench";
  return fluxo::build_torrent(spec);
}

const std::string& large_torrent() {
  static const std::string t = make_large_torrent(20'000);
  return t;
}

void BM_BencodeDecode(benchmark::State& state) {
  const std::string& t = large_torrent();
  for (auto _ : state) {
    auto doc = fluxo::bencode::decode(t);
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * t.size()));
  state.counters["bytes"] = static_cast<double>(t.size());
}
BENCHMARK(BM_BencodeDecode)->Unit(benchmark::kMillisecond);

void BM_MetainfoParse(benchmark::State& state) {
  const std::string& t = large_torrent();
  for (auto _ : state) {
    auto m = fluxo::parse_metainfo(t);
    if (!m) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * t.size()));
}
BENCHMARK(BM_MetainfoParse)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
