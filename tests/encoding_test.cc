#include "core/encoding.h"

#include <gtest/gtest.h>

#include <array>

#include "core/sha1.h"

namespace fluxo {
namespace {

TEST(Encoding, HexRoundTrip) {
  std::array<std::uint8_t, 3> in{0x00, 0xab, 0xff};
  EXPECT_EQ(to_hex(in), "00abff");
  std::array<std::uint8_t, 3> out{};
  EXPECT_TRUE(from_hex("00ABff", out));
  EXPECT_EQ(out, in);
  EXPECT_FALSE(from_hex("00abf", out));
  EXPECT_FALSE(from_hex("00abfg", out));
}

TEST(Encoding, Base32DecodesRfc4648Vectors) {
  std::array<std::uint8_t, 5> out{};
  EXPECT_TRUE(from_base32("MZXW6YTB", out));  // "fooba"
  EXPECT_EQ(std::string(out.begin(), out.end()), "fooba");
  EXPECT_FALSE(from_base32("MZXW6YT", out));
  EXPECT_FALSE(from_base32("MZXW6YT1", out));
}

TEST(Encoding, PercentDecode) {
  EXPECT_EQ(*percent_decode("a%20b+c", false), "a b+c");
  EXPECT_EQ(*percent_decode("a%20b+c", true), "a b c");
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_FALSE(percent_decode("%a", false));
  EXPECT_FALSE(percent_decode("ab%", false));
  EXPECT_FALSE(percent_decode("%xy", false));
}

TEST(Encoding, PercentEncodeKeepsUnreserved) {
  EXPECT_EQ(percent_encode(std::string("aZ9-._~ /\x01\xff", 11)), "aZ9-._~%20%2F%01%FF");
}

TEST(Sha1, KnownVectors) {
  EXPECT_EQ(to_hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(to_hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  Sha1 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(to_hex(h.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
  h.update("abc");  // reusable after finish
  EXPECT_EQ(to_hex(h.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace fluxo
