#include "core/sha256.h"

#include <openssl/evp.h>

#include <new>

namespace fluxo {

Sha256Digest sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size()) {
    throw std::bad_alloc();  // OpenSSL fails here only when it cannot allocate
  }
  return out;
}

}  // namespace fluxo
