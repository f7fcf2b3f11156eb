// MSE/PE costs: RC4 over a 16 KiB block (every byte of an encrypted
// connection goes through it once each way) and a whole handshake (two
// 768-bit modular exponentiations a side). Issue target: encrypted downloads
// at most +0.6 CPU s/GiB over plain, so RC4 must run at >= ~1.7 GiB/s.
#include <benchmark/benchmark.h>

#include <utility>
#include <vector>

#include "core/mse.h"
#include "core/rc4.h"
#include "net/mse_stream.h"

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

// A stream that takes every byte at once: what EncryptedStream adds around
// the cipher on the upload path (gathering the shared cache's blocks into
// the connection's buffer while enciphering).
class NullStream : public PeerStream {
 public:
  void watch(const std::atomic<bool>*, const std::atomic<bool>*, std::chrono::milliseconds) override {}
  Status send_all(std::span<const std::uint8_t> d) override {
    sent += d.size();
    return Status::ok();
  }
  Status send_all(std::span<iovec> parts) override {
    for (auto& p : parts) sent += std::exchange(p.iov_len, 0);
    return Status::ok();
  }
  std::size_t available() override { return 0; }
  Result<std::size_t> receive_some(std::span<std::uint8_t>, std::chrono::milliseconds) override { return std::size_t{0}; }
  Result<std::size_t> receive_some(std::span<std::uint8_t>, std::span<std::uint8_t>, std::chrono::milliseconds) override {
    return std::size_t{0};
  }
  void interrupt() override {}
  const std::string& remote() const override { return name; }
  std::size_t sent = 0;
  std::string name = "null";
};

// Sixteen 16 KiB blocks with their 13-byte headers, as serve() sends them;
// arg: 1 RC4 (enciphered into the connection's buffer), 0 plaintext after
// the handshake (straight through).
void BM_EncryptedSend(benchmark::State& state) {
  mse::Established e;
  const std::uint8_t key[20] = {3};
  e.method = state.range(0) ? mse::kRc4 : mse::kPlaintext;
  e.encrypt = std::make_unique<Rc4>(key);
  e.decrypt = std::make_unique<Rc4>(key);
  auto null = std::make_unique<NullStream>();
  EncryptedStream s(std::move(null), std::move(e));
  std::vector<std::uint8_t> cache(16 * 16384, 0x5a), headers(16 * 13, 0);
  std::vector<iovec> parts;
  for (auto _ : state) {
    parts.clear();
    for (int b = 0; b < 16; ++b) {
      parts.push_back({headers.data() + b * 13, 13});
      parts.push_back({cache.data() + b * 16384, 16384});
    }
    benchmark::DoNotOptimize(s.send_all(std::span(parts)));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 16 * (16384 + 13));
}
BENCHMARK(BM_EncryptedSend)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
