// RC4, as Message Stream Encryption uses it (the first 1024 bytes of key
// stream discarded by the caller: MSE's keys are fresh per connection, and
// RC4's early output is biased).
//
// Two engines, one result: OpenSSL's (assembly, ~880-930 MiB/s on the
// project VM) where its legacy provider loads, since OpenSSL 3 moved RC4
// there, and our own (a dozen lines, ~480-540 MiB/s) where it does not: a
// build or a system may lack the provider. The provider is loaded into a
// library context of our own, so the rest of the process (HTTPS trackers)
// never sees legacy algorithms. FLUXO_RC4=own in the environment forces
// ours. Measured by benchmarks/bench_mse.cc.
//
// Not thread-safe: one object per direction of one connection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fluxo {

class Rc4 {
 public:
  enum class Engine { best, own };
  explicit Rc4(std::span<const std::uint8_t> key, Engine engine = Engine::best);
  Rc4(const Rc4& o);
  Rc4& operator=(const Rc4& o);
  ~Rc4();

  // XORs the next data.size() bytes of key stream into `data`.
  void apply(std::span<std::uint8_t> data);
  // The same from `in` to `out` (equal sizes; they may be the same bytes).
  void apply(const std::uint8_t* in, std::uint8_t* out, std::size_t n);
  // Moves the key stream on by n bytes.
  void discard(std::size_t n);
  // Whether this one runs on OpenSSL's engine.
  bool openssl() const { return ctx_ != nullptr; }
  // Whether Engine::best is OpenSSL's in this process.
  static bool openssl_available();

 private:
  // Words, not bytes: byte-wide loads and stores of the state cost partial
  // register stalls (482 MiB/s with bytes on this VM).
  std::array<std::uint32_t, 256> s_{};
  std::uint32_t i_ = 0;
  std::uint32_t j_ = 0;
  void* ctx_ = nullptr;  // EVP_CIPHER_CTX*, when OpenSSL's engine runs it
};

}  // namespace fluxo
