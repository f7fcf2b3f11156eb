// ut_metadata messages (BEP 9): the info dictionary in 16 KiB pieces over
// the extension protocol. A message is a bencoded dictionary ('msg_type' 0
// request, 1 data, 2 reject; 'piece'; 'total_size' with data), a data
// message followed by the piece's bytes. Pure functions, bounded.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"

namespace fluxo {

inline constexpr std::size_t kMetadataPiece = 16384;
inline constexpr std::size_t kMaxMetadataMessage = kMetadataPiece + 1024;

// `other`: a msg_type this side does not know, which BEP 9 says to ignore.
enum class MetadataType : std::uint8_t { request = 0, data = 1, reject = 2, other = 255 };

struct MetadataMessage {
  MetadataType type = MetadataType::request;
  std::uint32_t piece = 0;
  std::int64_t total_size = 0;          // data only
  std::span<const std::uint8_t> data;  // data only: the bytes after the dictionary
};

std::string encode_metadata_request(std::uint32_t piece);
std::string encode_metadata_reject(std::uint32_t piece);
// `bytes` is the piece's part of the info dictionary (at most 16 KiB).
std::string encode_metadata_data(std::uint32_t piece, std::int64_t total_size, std::string_view bytes);

// The number of 16 KiB pieces of metadata of `size` bytes.
constexpr std::uint32_t metadata_pieces(std::int64_t size) {
  return static_cast<std::uint32_t>((size + static_cast<std::int64_t>(kMetadataPiece) - 1) /
                                    static_cast<std::int64_t>(kMetadataPiece));
}

// Errors: protocol_error for a payload over kMaxMetadataMessage, not a
// dictionary, without an integer msg_type and piece (0..2^31), or bytes
// after a request or reject. An unknown msg_type is `other` (to be
// ignored). `data` points into `payload`.
Result<MetadataMessage> parse_metadata_message(std::span<const std::uint8_t> payload);

}  // namespace fluxo
