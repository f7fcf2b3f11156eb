#include "core/rc4.h"

#include <utility>

namespace fluxo {

Rc4::Rc4(std::span<const std::uint8_t> key) {
  for (std::uint32_t k = 0; k < 256; ++k) s_[k] = k;
  if (key.empty()) return;
  std::uint32_t j = 0;
  for (std::uint32_t k = 0; k < 256; ++k) {
    j = (j + s_[k] + key[k % key.size()]) & 0xff;
    std::swap(s_[k], s_[j]);
  }
}

void Rc4::apply(const std::uint8_t* in, std::uint8_t* out, std::size_t n) {
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
