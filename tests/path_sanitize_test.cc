#include "core/path_sanitize.h"

#include <gtest/gtest.h>

namespace fluxo {
namespace {

std::string clean(std::string_view raw) {
  auto r = sanitize_component(raw);
  EXPECT_TRUE(r) << raw;
  return r ? r->name : "<error>";
}

TEST(PathSanitize, KeepsOrdinaryNames) {
  EXPECT_EQ(clean("movie.mkv"), "movie.mkv");
  EXPECT_EQ(clean("日本語"), "日本語");
  EXPECT_EQ(clean("..."), "...");
  EXPECT_EQ(clean(".hidden"), ".hidden");
}

TEST(PathSanitize, DropsDotAndDotDotAndNamesEmptyUnderscore) {
  EXPECT_EQ(clean(""), "_");
  EXPECT_EQ(clean("."), "");
  EXPECT_EQ(clean(".."), "");
  EXPECT_TRUE(sanitize_component("..")->changed);
}

TEST(PathSanitize, RefusesNul) { EXPECT_FALSE(sanitize_component(std::string("a\0", 2))); }

TEST(PathSanitize, ReplacesSeparatorsAndControlBytes) {
  EXPECT_EQ(clean("a/b"), "a_b");
  EXPECT_EQ(clean("a\\b"), "a_b");
  EXPECT_EQ(clean("/"), "_");
  EXPECT_EQ(clean("a\nb\x1b"), "a_b_");
}

TEST(PathSanitize, PrefixesWindowsDeviceNames) {
  EXPECT_EQ(clean("nul"), "_nul");
  EXPECT_EQ(clean("COM9.log"), "_COM9.log");
  EXPECT_EQ(clean("PRN "), "_PRN ");
  EXPECT_EQ(clean("COM10"), "COM10");
  EXPECT_EQ(clean("connect"), "connect");
}

TEST(PathSanitize, TorrentNameIsNeverTheStateDirectory) {
  auto name = [](std::string_view raw) {
    auto r = sanitize_torrent_name(raw);
    EXPECT_TRUE(r) << raw;
    return r ? std::make_pair(r->name, r->changed) : std::make_pair(std::string("<error>"), false);
  };
  EXPECT_EQ(name(".fluxo"), std::make_pair(std::string("_fluxo"), true));
  EXPECT_EQ(name(".FLUXO"), std::make_pair(std::string("_FLUXO"), true));  // case-insensitive file systems
  EXPECT_EQ(name(".fluxo2"), std::make_pair(std::string(".fluxo2"), false));
  EXPECT_EQ(name("fluxo"), std::make_pair(std::string("fluxo"), false));
  EXPECT_EQ(name("nul"), std::make_pair(std::string("_nul"), true));  // the component rules apply too
  EXPECT_EQ(name(".."), std::make_pair(std::string(""), true));  // the caller names it
  // Below the top level, .fluxo is an ordinary name.
  EXPECT_EQ(clean(".fluxo"), ".fluxo");
}

TEST(PathSanitize, ShortensWithoutSplittingUtf8) {
  std::string s;
  for (int i = 0; i < 200; ++i) s += "é";  // 400 bytes
  std::string out = clean(s);
  EXPECT_LE(out.size(), 255u);
  EXPECT_EQ(out.size() % 2, 0u);  // whole two-byte characters only
}

TEST(PathSanitize, JoinsDropsClimbsAndNamesEmptyPaths) {
  bool changed = false;
  std::vector<std::string_view> parts{"a", ".", "b"};
  EXPECT_EQ(*sanitize_path(parts, changed), "a/b");
  EXPECT_TRUE(changed);
  changed = false;
  std::vector<std::string_view> empty{".", ".."};
  EXPECT_EQ(*sanitize_path(empty, changed), "_");
  EXPECT_TRUE(changed);
  std::vector<std::string_view> blanks{"", "x", ""};
  EXPECT_EQ(*sanitize_path(blanks, changed), "_/x/_");  // libtorrent's names too
  std::vector<std::string_view> escape{"..", "..", "etc", "passwd"};
  EXPECT_EQ(*sanitize_path(escape, changed), "etc/passwd");
  std::vector<std::string_view> inner{"a", "..", "b"};
  EXPECT_EQ(*sanitize_path(inner, changed), "a/b");  // dropped, not resolved: never above the root
  std::string big(200, 'x');
  std::vector<std::string_view> longpath(30, big);
  EXPECT_FALSE(sanitize_path(longpath, changed));
}

}  // namespace
}  // namespace fluxo
