// SHA-256 through OpenSSL's EVP interface: the v2 info-hash (BEP 52) of a
// hybrid torrent, which fluxo shows but does not (yet) use on the wire.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace fluxo {

inline constexpr std::size_t kSha256Size = 32;
using Sha256Digest = std::array<std::uint8_t, kSha256Size>;

Sha256Digest sha256(std::string_view data);

}  // namespace fluxo
