// MSE/PE costs: RC4 over a 16 KiB block (every byte of an encrypted
// connection goes through it once each way) and a whole handshake (two
// 768-bit modular exponentiations a side). Issue target: encrypted downloads
// at most +0.6 CPU s/GiB over plain, so RC4 must run at >= ~1.7 GiB/s.
#include <benchmark/benchmark.h>

#include <vector>

#include "core/mse.h"
#include "core/rc4.h"

namespace {

using namespace fluxo;

// Arg 0: the block size; arg 1: 0 our engine, 1 the best (OpenSSL's where
// its legacy provider loads).
void BM_Rc4Block(benchmark::State& state) {
  const std::uint8_t key[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  Rc4 rc4(key, state.range(1) ? Rc4::Engine::best : Rc4::Engine::own);
  state.SetLabel(rc4.openssl() ? "openssl" : "own");
  std::vector<std::uint8_t> block(static_cast<std::size_t>(state.range(0)), 0x5a);
  for (auto _ : state) {
    rc4.apply(block);
    benchmark::DoNotOptimize(block.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Rc4Block)->Args({16 * 1024, 0})->Args({16 * 1024, 1})->Args({1 << 20, 0})->Args({1 << 20, 1});

void BM_MseHandshake(benchmark::State& state) {
  InfoHash skey;
  skey.bytes.fill(7);
  const std::vector<std::uint8_t> ia(68, 0x13);
  for (auto _ : state) {
    mse::Initiator a(skey, mse::kRc4 | mse::kPlaintext, ia);
    mse::Responder b(mse::kRc4 | mse::kPlaintext,
                     [&](const Sha1Digest& r) { return r == mse::req2(skey) ? std::optional(skey) : std::nullopt; });
    std::vector<std::uint8_t> to_a, to_b = a.start();
    (void)b.feed(to_b, to_a);
    to_b.clear();
    (void)a.feed(to_a, to_b);
    to_a.clear();
    (void)b.feed(to_b, to_a);
    to_b.clear();
    auto done = a.feed(to_a, to_b);
    if (!done || !*done) state.SkipWithError("handshake did not finish");
  }
}
BENCHMARK(BM_MseHandshake)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
