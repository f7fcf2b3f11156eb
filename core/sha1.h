// SHA-1 through OpenSSL's EVP interface, which uses the CPU's SHA extensions
// where present. A Sha1 object owns one EVP context and may be reused for
// many digests; it is not thread-safe (use one per thread).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/types.h"

struct evp_md_ctx_st;

namespace fluxo {

class Sha1 {
 public:
  Sha1();
  ~Sha1();
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  void update(std::span<const std::uint8_t> data);
  void update(std::string_view data) {
    update({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
  }
  // Returns the digest and resets the object for the next message.
  Sha1Digest finish();

 private:
  evp_md_ctx_st* ctx_;
};

Sha1Digest sha1(std::span<const std::uint8_t> data);
Sha1Digest sha1(std::string_view data);

}  // namespace fluxo
