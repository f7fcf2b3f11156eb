#include "core/printable.h"

#include <gtest/gtest.h>

namespace fluxo {
namespace {

TEST(Printable, OrdinaryTextIsUnchanged) {
  EXPECT_EQ(printable("movie.mkv"), "movie.mkv");
  EXPECT_EQ(printable("日本語 café"), "日本語 café");
  EXPECT_EQ(printable("C:\\dir"), "C:\\dir");  // backslashes are not escaped
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, C0ControlsAndDelAreEscaped) {
  EXPECT_EQ(printable("\x1b[31mred\x07"), "\\x1b[31mred\\x07");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("line\nnext\r\t\x7f"), "line\\x0anext\\x0d\\x09\\x7f");
}

TEST(Printable, C1ControlsEncodedInUtf8AreEscaped) {
  // U+009B is CSI, U+009D is OSC: as good as ESC [ and ESC ] to many terminals.
  EXPECT_EQ(printable("\xc2\x9b" "31m"), "\\xc2\\x9b31m");
  EXPECT_EQ(printable("\xc2\x9d" "0;title\xc2\x9c"), "\\xc2\\x9d0;title\\xc2\\x9c");
  EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is not a control
}

TEST(Printable, InvalidUtf8BytesAreEscaped) {
  EXPECT_EQ(printable("\x9b" "31m"), "\\x9b31m");               // a lone C1 byte
  EXPECT_EQ(printable("caf\xe9"), "caf\\xe9");                   // Latin-1
  EXPECT_EQ(printable("\xc0\x9b"), "\\xc0\\x9b");                // overlong
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");       // surrogate
  EXPECT_EQ(printable("\xe6\x97"), "\\xe6\\x97");                // truncated
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(Printable, ResultHoldsNoByteATerminalObeys) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string out = printable(all + all);
  for (char c : out) {
    auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u < 0x7f) << "byte " << int{u};
  }
}

}  // namespace
}  // namespace fluxo
