#include "core/sha1.h"

#include <openssl/evp.h>

#include <new>

namespace fluxo {
namespace {

// Fetched once: EVP_sha1() on OpenSSL 3 goes through a provider look-up that
// is measurable per call at 16 KiB granularity.
const EVP_MD* sha1_md() {
  static const EVP_MD* md = EVP_sha1();
  return md;
}

}  // namespace

Sha1::Sha1() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, sha1_md(), nullptr) != 1) throw std::bad_alloc();
}

Sha1::~Sha1() { EVP_MD_CTX_free(ctx_); }

void Sha1::update(std::span<const std::uint8_t> data) {
  EVP_DigestUpdate(ctx_, data.data(), data.size());
}

Sha1Digest Sha1::finish() {
  Sha1Digest out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, out.data(), &len);
  EVP_DigestInit_ex(ctx_, sha1_md(), nullptr);
  return out;
}

Sha1Digest sha1(std::span<const std::uint8_t> data) {
  Sha1Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, sha1_md(), nullptr);
  return out;
}

Sha1Digest sha1(std::string_view data) {
  return sha1(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()),
                                            data.size()));
}

}  // namespace fluxo
