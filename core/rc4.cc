#include "core/rc4.h"

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace fluxo {
namespace {

// OpenSSL's RC4 from the legacy provider, loaded once into a library
// context of our own; null when it cannot be had (or FLUXO_RC4=own).
const EVP_CIPHER* openssl_rc4() {
  static const EVP_CIPHER* const cipher = []() -> const EVP_CIPHER* {
    const char* force = std::getenv("FLUXO_RC4");
    if (force != nullptr && std::strcmp(force, "own") == 0) return nullptr;
    OSSL_LIB_CTX* lib = OSSL_LIB_CTX_new();
    if (lib == nullptr) return nullptr;
    // Both are kept for the life of the process (the cipher refers to them).
    if (OSSL_PROVIDER_load(lib, "legacy") == nullptr) return nullptr;
    return EVP_CIPHER_fetch(lib, "RC4", nullptr);
  }();
  return cipher;
}

EVP_CIPHER_CTX* ctx(void* p) { return static_cast<EVP_CIPHER_CTX*>(p); }

}  // namespace

bool Rc4::openssl_available() { return openssl_rc4() != nullptr; }

Rc4::Rc4(std::span<const std::uint8_t> key, Engine engine) {
  if (engine == Engine::best && !key.empty()) {
    if (const EVP_CIPHER* c = openssl_rc4()) {
      EVP_CIPHER_CTX* x = EVP_CIPHER_CTX_new();
      const int len = static_cast<int>(key.size());
      if (x != nullptr && EVP_EncryptInit_ex2(x, c, nullptr, nullptr, nullptr) == 1 &&
          EVP_CIPHER_CTX_set_key_length(x, len) == 1 &&
          EVP_EncryptInit_ex2(x, nullptr, key.data(), nullptr, nullptr) == 1) {
        ctx_ = x;
        return;
      }
      EVP_CIPHER_CTX_free(x);  // fall through to ours
    }
  }
  for (std::uint32_t k = 0; k < 256; ++k) s_[k] = k;
  if (key.empty()) return;
  std::uint32_t j = 0;
  for (std::uint32_t k = 0; k < 256; ++k) {
    j = (j + s_[k] + key[k % key.size()]) & 0xff;
    std::swap(s_[k], s_[j]);
  }
}

Rc4::Rc4(const Rc4& o) : s_(o.s_), i_(o.i_), j_(o.j_) {
  if (o.ctx_ != nullptr) {
    EVP_CIPHER_CTX* x = EVP_CIPHER_CTX_new();
    if (x == nullptr || EVP_CIPHER_CTX_copy(x, ctx(o.ctx_)) != 1) {
      EVP_CIPHER_CTX_free(x);
      throw std::bad_alloc();
    }
    ctx_ = x;
  }
}

Rc4& Rc4::operator=(const Rc4& o) {
  if (this != &o) {
    Rc4 copy(o);
    std::swap(s_, copy.s_);
    std::swap(i_, copy.i_);
    std::swap(j_, copy.j_);
    std::swap(ctx_, copy.ctx_);
  }
  return *this;
}

Rc4::~Rc4() { EVP_CIPHER_CTX_free(ctx(ctx_)); }

void Rc4::apply(const std::uint8_t* in, std::uint8_t* out, std::size_t n) {
  if (ctx_ != nullptr) {
    while (n > 0) {
      const int k = n > static_cast<std::size_t>(INT_MAX / 2) ? INT_MAX / 2 : static_cast<int>(n);
      int written = 0;
      // A stream cipher: never fails on valid buffers, writes exactly k.
      EVP_EncryptUpdate(ctx(ctx_), out, &written, in, k);
      in += k;
      out += k;
      n -= static_cast<std::size_t>(k);
    }
    return;
  }
  std::uint32_t i = i_, j = j_;
  std::uint32_t* s = s_.data();
  for (std::size_t k = 0; k < n; ++k) {
    i = (i + 1) & 0xff;
    const std::uint32_t si = s[i];
    j = (j + si) & 0xff;
    const std::uint32_t sj = s[j];
    s[i] = sj;
    s[j] = si;
    out[k] = static_cast<std::uint8_t>(in[k] ^ s[(si + sj) & 0xff]);
  }
  i_ = i;
  j_ = j;
}

void Rc4::apply(std::span<std::uint8_t> data) { apply(data.data(), data.data(), data.size()); }

void Rc4::discard(std::size_t n) {
  std::array<std::uint8_t, 256> scratch{};
  while (n > 0) {
    const std::size_t k = n < scratch.size() ? n : scratch.size();
    apply(scratch.data(), scratch.data(), k);
    n -= k;
  }
}

}  // namespace fluxo
