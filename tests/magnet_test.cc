#include "core/magnet.h"

#include "core/file_selection.h"

#include <gtest/gtest.h>

namespace fluxo {
namespace {

constexpr const char* kHex = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
// The same 20 bytes in base32.
constexpr const char* kB32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";

TEST(Magnet, ParsesHexInfoHashAndParameters) {
  std::string uri = std::string("magnet:?xt=urn:btih:") + kHex +
                    "&dn=My+File%20Name&tr=http%3A%2F%2Ft1%2Fa&tr.1=udp://t2:80&tr=http%3A%2F%2Ft1%2Fa"
                    "&x.pe=127.0.0.5:6881&x.pe=[::1]:7000&ws=http://w/f&so=0,2,4-6";
  auto m = parse_magnet(uri);
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m->info_hash.hex(), kHex);
  EXPECT_EQ(m->display_name, "My File Name");
  EXPECT_EQ(m->trackers, (std::vector<std::string>{"http://t1/a", "udp://t2:80"}));
  EXPECT_EQ(m->peers, (std::vector<std::string>{"127.0.0.5:6881", "[::1]:7000"}));
  EXPECT_EQ(m->web_seeds, std::vector<std::string>{"http://w/f"});
  using R = std::pair<std::uint32_t, std::uint32_t>;
  EXPECT_EQ(m->select_only, (std::vector<R>{{0, 0}, {2, 2}, {4, 6}}));
}

TEST(Magnet, ParsesBase32InfoHashInEitherCase) {
  auto upper = parse_magnet(std::string("magnet:?xt=urn:btih:") + kB32);
  ASSERT_TRUE(upper) << upper.status().to_string();
  EXPECT_EQ(upper->info_hash.hex(), kHex);
  std::string lower = kB32;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(parse_magnet("MAGNET:?xt=urn:btih:" + lower)->info_hash.hex(), kHex);
}

TEST(Magnet, UppercaseHexIsAccepted) {
  std::string hex = kHex;
  for (char& c : hex) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(parse_magnet("magnet:?xt=urn:btih:" + hex)->info_hash.hex(), kHex);
}

TEST(MagnetHostile, RejectsBadHashLengthsAndEncodings) {
  EXPECT_FALSE(parse_magnet("magnet:?xt=urn:btih:abcd"));
  EXPECT_FALSE(parse_magnet(std::string("magnet:?xt=urn:btih:") + kHex + "0"));
  EXPECT_FALSE(parse_magnet("magnet:?xt=urn:btih:" + std::string(40, 'g')));
  EXPECT_FALSE(parse_magnet("magnet:?xt=urn:btih:" + std::string(32, '1')));  // '1' not base32
  EXPECT_NE(parse_magnet("magnet:?xt=urn:btih:abcd").status().message().find("40"), std::string::npos);
}

TEST(MagnetHostile, RejectsMissingOrConflictingHashes) {
  EXPECT_FALSE(parse_magnet("magnet:?dn=x"));
  EXPECT_FALSE(parse_magnet("magnet:?"));
  std::string other(40, 'a');
  EXPECT_FALSE(parse_magnet(std::string("magnet:?xt=urn:btih:") + kHex + "&xt=urn:btih:" + other));
  // The same hash twice (hex and base32) is fine.
  EXPECT_TRUE(parse_magnet(std::string("magnet:?xt=urn:btih:") + kHex + "&xt=urn:btih:" + kB32));
}

TEST(MagnetHostile, V2OnlyIsRecognisedAndRefused) {
  auto m = parse_magnet("magnet:?xt=urn:btmh:1220" + std::string(64, 'a'));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.status().code(), ErrorCode::unsupported);
  // Hybrid magnet: the v1 hash is used.
  EXPECT_TRUE(parse_magnet(std::string("magnet:?xt=urn:btih:") + kHex + "&xt=urn:btmh:1220" + std::string(64, 'a')));
}

TEST(MagnetHostile, RejectsOddPercentEscapes) {
  std::string base = std::string("magnet:?xt=urn:btih:") + kHex;
  EXPECT_FALSE(parse_magnet(base + "&dn=%"));
  EXPECT_FALSE(parse_magnet(base + "&dn=%4"));
  EXPECT_FALSE(parse_magnet(base + "&dn=%zz"));
  EXPECT_FALSE(parse_magnet(base + "&tr=http://x/%g1"));
  auto ok = parse_magnet(base + "&dn=%00%ff");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->display_name, std::string("\0\xff", 2));
  // Escapes in the hash itself decode like everything else.
  EXPECT_TRUE(parse_magnet("magnet:?xt=urn%3Abtih%3A" + std::string(kHex)));
}

TEST(MagnetHostile, BoundsParameterCountAndLength) {
  std::string uri = std::string("magnet:?xt=urn:btih:") + kHex;
  for (int i = 0; i < 5000; ++i) uri += "&tr=http://t/" + std::to_string(i);
  auto m = parse_magnet(uri);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.status().code(), ErrorCode::limit_exceeded);
  MagnetLimits small;
  small.max_length = 50;
  EXPECT_EQ(parse_magnet(std::string("magnet:?xt=urn:btih:") + kHex, small).status().code(),
            ErrorCode::limit_exceeded);
}

TEST(MagnetHostile, MalformedPiecesAreErrorsOrWarnings) {
  std::string base = std::string("magnet:?xt=urn:btih:") + kHex;
  EXPECT_FALSE(parse_magnet(base + "&so=5-2"));
  EXPECT_FALSE(parse_magnet(base + "&so=a"));
  EXPECT_FALSE(parse_magnet(base + "&so=99999999999"));
  EXPECT_FALSE(parse_magnet(base + "&so=1,,2"));
  // Where BEP 53 is silent, lenient: an empty so= selects nothing more, a
  // trailing comma is nothing.
  auto lenient = parse_magnet(base + "&so=&so=1,2,");
  ASSERT_TRUE(lenient) << lenient.status().to_string();
  EXPECT_EQ(lenient->select_only, (FileRanges{{1, 1}, {2, 2}}));
  EXPECT_FALSE(parse_magnet(base + "&novalue"));
  auto m = parse_magnet(base + "&x.pe=nonsense&x.pe=1.2.3.4:0&x.pe=1.2.3.4:70000&&");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->peers.empty());
  EXPECT_EQ(m->warnings.size(), 3u);
  EXPECT_FALSE(parse_magnet("http://example/?xt=urn:btih:" + std::string(kHex)));
}

}  // namespace
}  // namespace fluxo
