// RC4, as Message Stream Encryption uses it (the first 1024 bytes of key
// stream discarded by the caller: MSE's keys are fresh per connection, and
// RC4's early output is biased). Our own, a dozen lines: OpenSSL 3 moved RC4
// to its legacy provider, which a process must load explicitly and a build
// may lack. Measured on the project VM (bench_mse, one run): ours ~480-540
// MiB/s, OpenSSL's legacy assembly ~880 MiB/s (`openssl speed -evp rc4
// -provider legacy`); the faster one is to be used where the provider loads,
// with this as the fallback, when encryption is wired in.
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
  explicit Rc4(std::span<const std::uint8_t> key);
  // XORs the next data.size() bytes of key stream into `data`.
  void apply(std::span<std::uint8_t> data);
  // The same from `in` to `out` (equal sizes; they may be the same bytes).
  void apply(const std::uint8_t* in, std::uint8_t* out, std::size_t n);
  // Moves the key stream on by n bytes.
  void discard(std::size_t n);

 private:
  // Words, not bytes: byte-wide loads and stores of the state cost partial
  // register stalls (482 MiB/s with bytes on this VM).
  std::array<std::uint32_t, 256> s_{};
  std::uint32_t i_ = 0;
  std::uint32_t j_ = 0;
};

}  // namespace fluxo
