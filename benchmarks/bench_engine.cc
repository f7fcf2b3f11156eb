// The download engine's hot pieces: the wire codec, the piece picker and
// the atomic bitfield claims.
#include <benchmark/benchmark.h>

#include <random>

#include "core/atomic_bitfield.h"
#include "net/wire.h"
#include "pipeline/piece_picker.h"

namespace {

void BM_WireEncodeRequest(benchmark::State& state) {
  std::uint8_t out[fluxo::wire::kBlockRefSize];
  std::uint32_t i = 0;
  for (auto _ : state) {
    fluxo::wire::encode_block_ref(fluxo::wire::MsgId::request,
                                  {fluxo::PieceIndex(i++ & 4095), 16384, 16384}, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_WireEncodeRequest);

void BM_WireDecodeHave(benchmark::State& state) {
  std::uint8_t msg[5] = {4, 0, 0, 1, 0};
  for (auto _ : state) {
    auto m = fluxo::wire::decode_message(msg, 4096);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_WireDecodeHave);

// A pick over a torrent of `pieces` pieces, half of them already claimed
// (the scan is the cost), then the claim is given back.
void BM_PickerPick(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  fluxo::AtomicBitfield have(n), claimed(n);
  fluxo::PiecePicker picker(n, have, claimed, 0);
  fluxo::Bitfield all(n);
  all.set_all();
  picker.add_peer(all);
  for (std::uint32_t i = 0; i < n; i += 2) (void)claimed.try_claim(fluxo::PieceIndex(i));
  std::minstd_rand rng(1);
  for (auto _ : state) {
    auto p = picker.pick(all, rng);
    if (p) picker.unclaim(*p);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PickerPick)->Arg(1024)->Arg(16384);

void BM_AtomicClaimRelease(benchmark::State& state) {
  static fluxo::AtomicBitfield bits(65536);
  std::uint32_t i = static_cast<std::uint32_t>(state.thread_index()) * 997;
  for (auto _ : state) {
    fluxo::PieceIndex p(i++ & 65535);
    if (bits.try_claim(p)) bits.clear(p);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_AtomicClaimRelease)->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
