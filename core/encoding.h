// Text encodings of binary values used in URIs and output: hex, RFC 4648
// base32 and URI percent-escapes. Pure functions; no allocation beyond the
// returned string.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fluxo {

std::string to_hex(std::span<const std::uint8_t> bytes);
// Decodes exactly out.size() bytes from 2*out.size() hex digits (either case).
bool from_hex(std::string_view text, std::span<std::uint8_t> out);
// Decodes RFC 4648 base32 (upper or lower case, no padding) into out; the text
// must have exactly the length that encodes out.size() bytes.
bool from_base32(std::string_view text, std::span<std::uint8_t> out);
// Decodes %XX escapes and, when plus_is_space, '+' as ' '. Returns nullopt on a
// malformed escape (a '%' not followed by two hex digits).
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
// Escapes every byte outside RFC 3986's unreserved set.
std::string percent_encode(std::string_view bytes);

}  // namespace fluxo
