// Text from torrents, trackers, peers and the disk, made safe to print on a
// terminal. Such text can carry escape sequences (ESC [ ... , OSC, C1 CSI)
// that recolour, retitle or rewrite the user's terminal; printed through
// printable() every control byte is shown, never obeyed. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fluxo {

// Length of the valid UTF-8 sequence that starts at s[i] (1 for ASCII), or 0
// when the bytes there are not valid UTF-8 (truncated, overlong, surrogate,
// above U+10FFFF). Requires i < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

// True for the code points a terminal may act on: C0 (U+0000-U+001F), DEL
// (U+007F) and C1 (U+0080-U+009F).
constexpr bool is_control_code_point(unsigned cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

// `text` with every control byte, every C1 control encoded in UTF-8 and
// every byte that is not part of valid UTF-8 written as \xHH (a C1 control
// as the two bytes of its encoding: "\xc2\x9b"). Everything else, the
// backslash included, is copied as it is: the result reads like the input
// and holds no byte a terminal interprets.
std::string printable(std::string_view text);

}  // namespace fluxo
