// Domain types shared by every layer: strong indices, digests, the info-hash.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace fluxo {

// An integer index that does not mix with other kinds of index: passing a
// FileIndex where a PieceIndex is expected is a compile error.
template <typename Tag, typename Rep = std::uint32_t>
class StrongIndex {
 public:
  using rep = Rep;
  constexpr StrongIndex() = default;
  constexpr explicit StrongIndex(Rep v) : v_(v) {}
  constexpr Rep value() const { return v_; }
  constexpr auto operator<=>(const StrongIndex&) const = default;
  constexpr StrongIndex& operator++() { ++v_; return *this; }

 private:
  Rep v_ = 0;
};

using PieceIndex = StrongIndex<struct PieceTag>;
using BlockIndex = StrongIndex<struct BlockTag>;
using FileIndex = StrongIndex<struct FileTag>;

inline constexpr std::size_t kSha1Size = 20;
using Sha1Digest = std::array<std::uint8_t, kSha1Size>;

// The v1 info-hash: SHA-1 of the info dictionary's bytes as they appear in
// the .torrent file.
struct InfoHash {
  Sha1Digest bytes{};
  auto operator<=>(const InfoHash&) const = default;
  std::string hex() const;
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
};

}  // namespace fluxo

template <typename Tag, typename Rep>
struct std::hash<fluxo::StrongIndex<Tag, Rep>> {
  std::size_t operator()(fluxo::StrongIndex<Tag, Rep> i) const noexcept {
    return std::hash<Rep>{}(i.value());
  }
};
