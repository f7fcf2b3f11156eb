// A fixed-size set of pieces in the wire's bit order (BEP 3: the high bit of
// the first byte is piece 0). Not thread-safe: one owner, e.g. the set of
// pieces one peer has. For shared state use AtomicBitfield.
#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "core/types.h"

namespace fluxo {

class Bitfield {
 public:
  Bitfield() = default;
  explicit Bitfield(std::uint32_t size) : size_(size), bytes_((size + 7) / 8, 0) {}

  std::uint32_t size() const { return size_; }
  bool test(PieceIndex i) const { return (bytes_[i.value() >> 3] >> (7 - (i.value() & 7))) & 1; }
  void set(PieceIndex i) {
    auto& b = bytes_[i.value() >> 3];
    auto mask = static_cast<std::uint8_t>(0x80u >> (i.value() & 7));
    if (!(b & mask)) ++count_;
    b |= mask;
  }
  void set_all() {
    for (std::uint32_t i = 0; i < size_; ++i) set(PieceIndex(i));
  }
  std::uint32_t count() const { return count_; }
  bool all() const { return count_ == size_; }
  bool none() const { return count_ == 0; }
  std::span<const std::uint8_t> bytes() const { return bytes_; }
  // Pieces [64 w, 64 w + 64) as a word, piece 64 w in bit 0 (AtomicBitfield's
  // order), for scans a word at a time. Bits past size() are 0.
  std::uint64_t word(std::uint32_t w) const {
    std::uint64_t out = 0;
    const std::size_t first = static_cast<std::size_t>(w) * 8;
    for (std::size_t k = 0; k < 8 && first + k < bytes_.size(); ++k) {
      out |= static_cast<std::uint64_t>(reversed(bytes_[first + k])) << (8 * k);
    }
    return out;
  }

  // Validates a BITFIELD payload for `size` pieces: exact byte length and no
  // spare bits set in the last byte. nullopt-like false on any violation.
  static bool from_wire(std::span<const std::uint8_t> payload, std::uint32_t size, Bitfield& out) {
    if (payload.size() != (size + 7) / 8) return false;
    if (size % 8 != 0 && (payload.back() & (0xFFu >> (size % 8))) != 0) return false;
    out = Bitfield(size);
    out.bytes_.assign(payload.begin(), payload.end());
    out.count_ = 0;
    for (auto b : out.bytes_) out.count_ += static_cast<std::uint32_t>(std::popcount(b));
    return true;
  }

 private:
  static std::uint8_t reversed(std::uint8_t b) {
    b = static_cast<std::uint8_t>((b & 0xF0) >> 4 | (b & 0x0F) << 4);
    b = static_cast<std::uint8_t>((b & 0xCC) >> 2 | (b & 0x33) << 2);
    return static_cast<std::uint8_t>((b & 0xAA) >> 1 | (b & 0x55) << 1);
  }
  std::uint32_t size_ = 0;
  std::uint32_t count_ = 0;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace fluxo
