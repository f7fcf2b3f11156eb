#include "core/metainfo.h"

#include <gtest/gtest.h>

#include "core/bencode_value.h"
#include "core/sha1.h"
#include "core/sha256.h"

namespace fluxo {
namespace {

using bencode::Value;

constexpr std::int64_t kPiece = 16384;

// At least one hash, so that tests of bad lengths fail on the length.
std::string hashes_for(std::int64_t total, std::int64_t piece = kPiece) {
  return std::string(static_cast<std::size_t>(std::max<std::int64_t>(1, (total + piece - 1) / piece)) * 20, 'h');
}

Value::Dict single_info(std::int64_t length = 40000) {
  return Value::Dict{{"name", "file.bin"},
                     {"piece length", kPiece},
                     {"pieces", hashes_for(length)},
                     {"length", length}};
}

Value::Dict file_entry(std::vector<std::string> path, std::int64_t length) {
  Value::List p;
  for (auto& c : path) p.emplace_back(c);
  return Value::Dict{{"length", length}, {"path", std::move(p)}};
}

Value::Dict multi_info(Value::List files, std::int64_t total) {
  return Value::Dict{{"name", "dir"},
                     {"piece length", kPiece},
                     {"pieces", hashes_for(total)},
                     {"files", std::move(files)}};
}

std::string torrent(Value::Dict info, Value::Dict extra = {}) {
  extra["info"] = std::move(info);
  return bencode::encode(Value(std::move(extra)));
}

Status parse_error(const std::string& bytes, const MetainfoLimits& limits = {}) {
  auto r = parse_metainfo(bytes, limits);
  EXPECT_FALSE(r.is_ok()) << "accepted";
  return r.status();
}

void expect_rejected(const std::string& bytes) { (void)parse_error(bytes); }

bool mentions(const Status& s, std::string_view word) {
  return s.message().find(word) != std::string::npos;
}

TEST(Metainfo, ParsesSingleFileTorrent) {
  auto info = single_info();
  std::string bytes = torrent(info, {{"announce", "http://t/a"}, {"comment", "hi"},
                                     {"created by", "me"}, {"creation date", 1700000000}});
  auto m = parse_metainfo(bytes);
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m->name, "file.bin");
  EXPECT_FALSE(m->multi_file);
  EXPECT_EQ(m->total_size, 40000);
  EXPECT_EQ(m->piece_count(), 3u);
  EXPECT_EQ(m->piece_size(PieceIndex(2)), 40000 - 2 * kPiece);
  ASSERT_EQ(m->files.size(), 1u);
  EXPECT_EQ(m->files[0].path, "file.bin");
  EXPECT_EQ(m->trackers, (std::vector<std::vector<std::string>>{{"http://t/a"}}));
  EXPECT_EQ(m->comment, "hi");
  EXPECT_EQ(m->created_by, "me");
  EXPECT_EQ(m->creation_date, 1700000000);
  EXPECT_EQ(m->info_hash.bytes, sha1(bencode::encode(Value(info))));
}

TEST(Metainfo, ParsesMultiFileTorrentWithOffsets) {
  Value::List files{file_entry({"a.txt"}, 100), file_entry({"sub", "b.txt"}, 0),
                    file_entry({"sub", "c.bin"}, 50000)};
  auto m = parse_metainfo(torrent(multi_info(files, 50100)));
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_TRUE(m->multi_file);
  ASSERT_EQ(m->files.size(), 3u);
  EXPECT_EQ(m->files[0].path, "dir/a.txt");
  EXPECT_EQ(m->files[1].path, "dir/sub/b.txt");
  EXPECT_EQ(m->files[2].path, "dir/sub/c.bin");
  EXPECT_EQ(m->files[2].offset, 100);
  EXPECT_EQ(m->total_size, 50100);
}

TEST(Metainfo, InfoHashIsOverTheBytesAsTheyAppear) {
  // An unsorted info dict: re-encoding would change the hash.
  std::string info = "d6:lengthi40000e4:name1:x6:pieces60:" + std::string(60, 'h') +
                     "12:piece lengthi16384ee";
  std::string unsorted = "d4:name1:x12:piece lengthi16384e6:lengthi40000e6:pieces60:" +
                         std::string(60, 'h') + "e";
  auto a = parse_metainfo("d4:info" + info + "e");
  auto b = parse_metainfo("d4:info" + unsorted + "e");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b) << b.status().to_string();
  EXPECT_EQ(a->info_hash.bytes, sha1(info));
  EXPECT_EQ(b->info_hash.bytes, sha1(unsorted));
  EXPECT_NE(a->info_hash, b->info_hash);
  EXPECT_FALSE(b->warnings.empty());
}

TEST(Metainfo, AnnounceListTiersWinOverAnnounce) {
  Value::List tiers{Value::List{"http://a/1", "http://a/2"}, Value::List{}, Value::List{"udp://b/1", "http://a/1"}};
  auto m = parse_metainfo(torrent(single_info(), {{"announce", "http://ignored"}, {"announce-list", tiers}}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->trackers, (std::vector<std::vector<std::string>>{{"http://a/1", "http://a/2"}, {"udp://b/1"}}));
}

TEST(Metainfo, MalformedTrackerEntriesAreSkipped) {
  Value::List tiers{Value("notalist"), Value::List{Value(5), Value("http://ok")}};
  auto m = parse_metainfo(torrent(single_info(), {{"announce-list", tiers}}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->trackers, (std::vector<std::vector<std::string>>{{"http://ok"}}));
}

TEST(Metainfo, WebSeedsAsStringOrList) {
  auto a = parse_metainfo(torrent(single_info(), {{"url-list", "http://w/"}}));
  EXPECT_EQ(a->web_seeds, std::vector<std::string>{"http://w/"});
  auto b = parse_metainfo(torrent(single_info(), {{"url-list", Value::List{"http://1/", 7, "http://2/"}}}));
  EXPECT_EQ(b->web_seeds, (std::vector<std::string>{"http://1/", "http://2/"}));
}

TEST(Metainfo, PrivateFlag) {
  auto info = single_info();
  info["private"] = 1;
  EXPECT_TRUE(parse_metainfo(torrent(info))->is_private);
  EXPECT_FALSE(parse_metainfo(torrent(single_info()))->is_private);
}

TEST(Metainfo, PadFilesAreMarked) {
  Value::Dict pad = file_entry({".pad", "16284"}, 16284);
  pad["attr"] = "p";
  Value::List files{file_entry({"a"}, 100), pad, file_entry({"b"}, 10)};
  auto m = parse_metainfo(torrent(multi_info(files, 16394)));
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_TRUE(m->files[1].pad);
  EXPECT_FALSE(m->files[0].pad);
}

// BitComet named its padding files before BEP 47 gave them an attribute:
// libtorrent knows them by name, and so do we (zeros, never made).
TEST(Metainfo, BitCometPaddingFilesAreKnownByName) {
  Value::List files{file_entry({"a"}, 100), file_entry({"_____padding_file_0_if you see this file, please update to BitComet 0.85 or above____"}, 16284),
                    file_entry({"b"}, 10)};
  auto m = parse_metainfo(torrent(multi_info(files, 16394)));
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_TRUE(m->files[1].pad);
  EXPECT_FALSE(m->files[0].pad);
  EXPECT_FALSE(m->files[2].pad);
}

TEST(Metainfo, WhitespaceAroundTrackerUrlsIsTrimmed) {
  Value::List tiers{Value::List{"\t udp://test.com/announce \r\n", "udp://test.com/announce"}, Value::List{"   "}};
  auto m = parse_metainfo(torrent(single_info(), {{"announce-list", tiers}}));
  ASSERT_TRUE(m) << m.status().to_string();
  ASSERT_EQ(m->trackers.size(), 1u);
  EXPECT_EQ(m->trackers[0], std::vector<std::string>{"udp://test.com/announce"});
}

TEST(MetainfoHostile, RejectsBadPieceLength) {
  for (std::int64_t pl : {std::int64_t{0}, std::int64_t{-16384}, std::int64_t{1} << 40, std::int64_t{3}}) {
    auto info = single_info();
    info["piece length"] = pl;
    EXPECT_TRUE(mentions(parse_error(torrent(info)), "piece length")) << pl;
  }
  auto info = single_info();
  info["piece length"] = "16384";
  EXPECT_TRUE(mentions(parse_error(torrent(info)), "piece length"));
}

TEST(MetainfoHostile, RejectsPiecesOfWrongLength) {
  auto info = single_info();
  info["pieces"] = std::string(59, 'h');
  EXPECT_TRUE(mentions(parse_error(torrent(info)), "multiple of 20"));
  info["pieces"] = std::string(80, 'h');  // 4 hashes for 3 pieces
  EXPECT_TRUE(mentions(parse_error(torrent(info)), "need 3"));
  info["pieces"] = std::string(40, 'h');
  EXPECT_TRUE(mentions(parse_error(torrent(info)), "need 3"));
  info["pieces"] = "";
  expect_rejected(torrent(info));
}

TEST(MetainfoHostile, RejectsNegativeAndOverflowingLengths) {
  EXPECT_TRUE(mentions(parse_error(torrent(single_info(-1))), "negative"));
  Value::List files{file_entry({"a"}, INT64_MAX), file_entry({"b"}, INT64_MAX)};
  EXPECT_TRUE(mentions(parse_error(torrent(multi_info(files, 100))), "overflow"));
  Value::List neg{file_entry({"a"}, 100), file_entry({"b"}, -50)};
  EXPECT_TRUE(mentions(parse_error(torrent(multi_info(neg, 50))), "negative"));
}

TEST(MetainfoHostile, RejectsEmptyAndMissingParts) {
  expect_rejected("le");
  expect_rejected("de");
  expect_rejected("d4:infoi1ee");
  auto info = single_info();
  info.erase("name");
  expect_rejected(torrent(info));
  info = single_info();
  info["files"] = Value::List{file_entry({"a"}, 1)};
  EXPECT_TRUE(mentions(parse_error(torrent(info)), "both"));
  info = single_info();
  info.erase("length");
  EXPECT_TRUE(mentions(parse_error(torrent(info)), "neither"));
  EXPECT_TRUE(mentions(parse_error(torrent(multi_info({}, 1))), "empty"));
  EXPECT_TRUE(mentions(parse_error(torrent(single_info(0))), "total size 0"));
}

TEST(MetainfoHostile, RejectsMalformedFileEntries) {
  expect_rejected(torrent(multi_info(Value::List{Value(1)}, 1)));
  expect_rejected(torrent(multi_info(Value::List{Value::Dict{{"length", 1}}}, 1)));
  expect_rejected(torrent(multi_info(Value::List{Value::Dict{{"path", Value::List{"a"}}}}, 1)));
  expect_rejected(torrent(multi_info(Value::List{Value::Dict{{"length", 1}, {"path", Value::List{}}}}, 1)));
  expect_rejected(torrent(multi_info(Value::List{Value::Dict{{"length", 1}, {"path", Value::List{Value(3)}}}}, 1)));
  expect_rejected(torrent(multi_info(Value::List{Value::Dict{{"length", 1}, {"path", "a/b"}}}, 1)));
}

TEST(MetainfoHostile, TooManyFilesIsALimit) {
  Value::List files;
  for (int i = 0; i < 20; ++i) files.emplace_back(file_entry({"f" + std::to_string(i)}, 1));
  MetainfoLimits limits;
  limits.max_files = 10;
  EXPECT_EQ(parse_error(torrent(multi_info(files, 20)), limits).code(), ErrorCode::limit_exceeded);
  EXPECT_TRUE(parse_metainfo(torrent(multi_info(files, 20))));
}

TEST(MetainfoHostile, AMillionFilesIsHandledWithinBounds) {
  // Built as text: a million entries of "d6:lengthi1e4:pathl7:fNNNNNNee".
  std::string files = "l";
  for (int i = 0; i < 1'000'000; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%07d", i);
    files += "d6:lengthi1e4:pathl8:";
    files += name;
    files += "ee";
  }
  files += "e";
  std::string info = "d5:files" + files + "4:name1:d12:piece lengthi16384e6:pieces" +
                     std::to_string(62 * 20) + ":" + std::string(62 * 20, 'h') + "e";
  auto m = parse_metainfo("d4:info" + info + "e");
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m->files.size(), 1'000'000u);
  EXPECT_EQ(m->total_size, 1'000'000);
  // One more file than the default limit is refused clearly.
  MetainfoLimits limits;
  limits.max_files = 999'999;
  EXPECT_EQ(parse_error("d4:info" + info + "e", limits).code(), ErrorCode::limit_exceeded);
}

// The names below are what libtorrent 2.0 (python3-libtorrent) makes of the
// same entries: both clients lay a torrent out alike.
std::vector<std::string> paths_of(const std::string& bytes) {
  auto m = parse_metainfo(bytes);
  EXPECT_TRUE(m) << m.status().to_string();
  std::vector<std::string> out;
  if (m) {
    for (const auto& f : m->files) out.push_back(f.path);
  }
  return out;
}

using Paths = std::vector<std::string>;

TEST(MetainfoHostile, DotDotComponentsAreDroppedNeverFollowed) {
  EXPECT_EQ(paths_of(torrent(multi_info(Value::List{file_entry({"..", "etc", "passwd"}, 10)}, 10))),
            Paths{"dir/etc/passwd"});
  EXPECT_EQ(paths_of(torrent(multi_info(Value::List{file_entry({"a", "..", "..", "x"}, 10)}, 10))),
            Paths{"dir/a/x"});
  auto m = parse_metainfo(torrent(multi_info(Value::List{file_entry({"..", "a.txt"}, 10)}, 10)));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->warnings.size(), 1u);
  EXPECT_EQ(m->warnings[0], "file \"dir/../a.txt\" is saved as \"dir/a.txt\"");
  // A torrent named ".." is named by its info-hash.
  auto info = single_info();
  info["name"] = "..";
  auto single = parse_metainfo(torrent(info));
  ASSERT_TRUE(single) << single.status().to_string();
  EXPECT_EQ(single->name, single->info_hash.hex());
  EXPECT_EQ(single->files[0].path, single->info_hash.hex());
  EXPECT_FALSE(single->warnings.empty());
}

TEST(MetainfoHostile, DotComponentsAreDroppedAndEmptyOnesAreUnderscore) {
  auto m = parse_metainfo(torrent(multi_info(Value::List{file_entry({".", "", "a", ".", "b"}, 10)}, 10)));
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m->files[0].path, "dir/_/a/b");
  EXPECT_FALSE(m->warnings.empty());
  EXPECT_EQ(paths_of(torrent(multi_info(Value::List{file_entry({""}, 5), file_entry({"x"}, 5)}, 10))),
            (Paths{"dir/_", "dir/x"}));
  EXPECT_EQ(paths_of(torrent(multi_info(Value::List{file_entry({".."}, 5), file_entry({"x"}, 5)}, 10))),
            (Paths{"dir/_", "dir/x"}));
  // An empty 'path' list is still malformed (libtorrent refuses it too).
  expect_rejected(torrent(multi_info(Value::List{file_entry({}, 10)}, 10)));
  EXPECT_EQ(paths_of(torrent(multi_info(Value::List{file_entry({"", ""}, 5), file_entry({"a", ""}, 5)}, 10))),
            (Paths{"dir/_/_", "dir/a/_"}));
  auto info = single_info();
  info["name"] = ".";
  auto single = parse_metainfo(torrent(info));
  ASSERT_TRUE(single);
  EXPECT_EQ(single->name, single->info_hash.hex());
}

Value::List same_files(std::initializer_list<std::vector<std::string>> paths) {
  Value::List out;
  for (const auto& p : paths) out.emplace_back(file_entry(p, 1));
  return out;
}

TEST(MetainfoHostile, CollidingPathsAreToldApartAsLibtorrentDoes) {
  // Equal ignoring case; the counter skips names already taken.
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{"a.txt"}, {"a.txt"}, {"a.txt"}, {"A.txt"}}), 4))),
            (Paths{"dir/a.txt", "dir/a.1.txt", "dir/a.2.txt", "dir/A.3.txt"}));
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{"a"}, {"a"}}), 2))), (Paths{"dir/a", "dir/a.1"}));
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{"a.1.txt"}, {"a.txt"}, {"a.txt"}}), 3))),
            (Paths{"dir/a.1.txt", "dir/a.txt", "dir/a.2.txt"}));
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{"a.txt"}, {"a.txt"}, {"a.1.txt"}}), 3))),
            (Paths{"dir/a.txt", "dir/a.1.txt", "dir/a.1.1.txt"}));
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{".bashrc"}, {".bashrc"}}), 2))),
            (Paths{"dir/.bashrc", "dir/.1.bashrc"}));
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{"a.tar.gz"}, {"a.tar.gz"}}), 2))),
            (Paths{"dir/a.tar.gz", "dir/a.tar.1.gz"}));
  // Made equal by sanitizing.
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{"s", "b"}, {"s", ".", "b"}}), 2))),
            (Paths{"dir/s/b", "dir/s/b.1"}));
  auto m = parse_metainfo(torrent(multi_info(same_files({{"a"}, {"a"}}), 2)));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->warnings.size(), 1u);
  EXPECT_EQ(m->warnings[0], "file \"dir/a\" is saved as \"dir/a.1\" (its name was taken)");
}

TEST(MetainfoHostile, AFileNamedLikeADirectoryIsRenamedWhicheverComesFirst) {
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{"a"}, {"a", "b"}}), 2))), (Paths{"dir/a.1", "dir/a/b"}));
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{"a", "b"}, {"a"}}), 2))), (Paths{"dir/a/b", "dir/a.1"}));
  EXPECT_EQ(paths_of(torrent(multi_info(same_files({{"A", "b"}, {"a"}, {"a", "c"}}), 3))),
            (Paths{"dir/A/b", "dir/a.1", "dir/a/c"}));
}

TEST(MetainfoHostile, AMillionCollidingNamesStayLinearAndWarnBriefly) {
  Value::List files;
  for (int i = 0; i < 200'000; ++i) files.emplace_back(file_entry({"same.bin"}, 1));
  auto m = parse_metainfo(torrent(multi_info(std::move(files), 200'000)));
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m->files.back().path, "dir/same.199999.bin");
  ASSERT_EQ(m->warnings.size(), kMaxDetailedWarnings + 1);
  EXPECT_EQ(m->warnings.back(), "and " + std::to_string(199'999 - kMaxDetailedWarnings) + " more file names changed");
}

Value::Dict with(Value::Dict d, const std::string& key, Value v) {
  d[key] = std::move(v);
  return d;
}

Value::Dict v2_file(std::int64_t length) {
  return Value::Dict{{"", Value::Dict{{"length", length}, {"pieces root", std::string(32, 'r')}}}};
}

TEST(MetainfoHostile, HybridIsReadThroughItsV1HalfAndPureV2IsRefused) {
  auto info = single_info();
  info["meta version"] = 2;
  info["file tree"] = Value::Dict{{"file.bin", v2_file(40000)}};
  const std::string bytes = torrent(info);
  auto m = parse_metainfo(bytes);
  ASSERT_TRUE(m) << m.status().to_string();
  const std::string info_bytes = bencode::encode(Value(info));
  EXPECT_EQ(m->info_hash.bytes, sha1(info_bytes));
  ASSERT_TRUE(m->info_hash_v2);
  EXPECT_EQ(*m->info_hash_v2, sha256(info_bytes));
  EXPECT_EQ(m->total_size, 40000);
  info.erase("pieces");
  auto s = parse_error(torrent(info));
  EXPECT_EQ(s.code(), ErrorCode::unsupported);
  EXPECT_TRUE(mentions(s, "v2"));
  info["meta version"] = 3;
  EXPECT_EQ(parse_error(torrent(info)).code(), ErrorCode::unsupported);
  // A plain v1 torrent has no v2 hash.
  EXPECT_FALSE(parse_metainfo(torrent(single_info()))->info_hash_v2);
}

// libtorrent refuses a hybrid whose halves disagree, and so does fluxo: v1
// and v2 peers would serve different data under one torrent.
TEST(MetainfoHostile, HybridWhoseHalvesDisagreeIsRefused) {
  auto files = Value::List{file_entry({"a"}, 5), with(file_entry({".pad", "16379"}, 16379), "attr", "p"),
                           file_entry({"sub", "b"}, 7)};
  auto info = multi_info(files, 16391);
  info["meta version"] = 2;
  info["file tree"] = Value::Dict{{"a", v2_file(5)}, {"sub", Value::Dict{{"b", v2_file(7)}}}};
  ASSERT_TRUE(parse_metainfo(torrent(info))) << "the consistent hybrid";
  for (auto tree : {Value::Dict{{"a", v2_file(5)}, {"sub", Value::Dict{{"b", v2_file(8)}}}},  // a length
                    Value::Dict{{"a", v2_file(5)}, {"sub", Value::Dict{{"c", v2_file(7)}}}},  // a name
                    Value::Dict{{"a", v2_file(5)}},                                           // a file fewer
                    Value::Dict{{"a", v2_file(5)}, {"sub", Value::Dict{{"b", v2_file(7)}}}, {"z", v2_file(1)}},
                    Value::Dict{{"a", Value::Dict{{"", 5}}}}}) {  // malformed
    info["file tree"] = tree;
    auto s = parse_error(torrent(info));
    EXPECT_TRUE(mentions(s, "v1 and v2 file lists differ")) << s.to_string();
  }
}

TEST(MetainfoHostile, TrailingBytesAreIgnoredWithAWarning) {
  const std::string clean = torrent(single_info());
  auto m = parse_metainfo(clean + "garbage\x1b[2J");
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m->info_hash, parse_metainfo(clean)->info_hash);
  ASSERT_EQ(m->warnings.size(), 1u);
  EXPECT_EQ(m->warnings[0], "11 bytes after the torrent's dictionary are ignored");
}

TEST(MetainfoHostile, PadEntriesNeedNoPathAndNoLength) {
  Value::Dict pad_no_path{{"length", 16379}, {"attr", "p"}};
  Value::Dict pad_no_length{{"attr", "p"}, {"path", Value::List{".pad", "x"}}};
  auto m = parse_metainfo(torrent(multi_info(
      Value::List{file_entry({"a"}, 5), pad_no_path, file_entry({"b"}, 5), pad_no_length, file_entry({"c"}, 1)},
      16390)));
  ASSERT_TRUE(m) << m.status().to_string();
  ASSERT_EQ(m->files.size(), 5u);
  EXPECT_EQ(m->files[1].path, "dir/.pad/16379");
  EXPECT_TRUE(m->files[1].pad);
  EXPECT_EQ(m->files[2].offset, 16384);
  EXPECT_EQ(m->files[3].size, 0);
  EXPECT_EQ(m->total_size, 16390);
  // Pads never collide: libtorrent lists two ".pad/0" entries as they are.
  auto twice = paths_of(torrent(multi_info(
      Value::List{file_entry({"a"}, 1), with(file_entry({".pad", "0"}, 0), "attr", "p"),
                  with(file_entry({".pad", "0"}, 0), "attr", "p")},
      1)));
  EXPECT_EQ(twice, (Paths{"dir/a", "dir/.pad/0", "dir/.pad/0"}));
  // An ordinary file still needs both.
  expect_rejected(torrent(multi_info(Value::List{Value::Dict{{"path", Value::List{"a"}}}}, 1)));
  expect_rejected(torrent(multi_info(Value::List{Value::Dict{{"length", 1}}}, 1)));
}

Value::Dict symlink(std::vector<std::string> path, std::vector<std::string> target) {
  Value::List p, t;
  for (auto& c : path) p.emplace_back(c);
  for (auto& c : target) t.emplace_back(c);
  return Value::Dict{{"attr", "l"}, {"path", std::move(p)}, {"symlink path", std::move(t)}};
}

TEST(MetainfoHostile, SymlinksPointInsideTheTorrentOrAreNotMade) {
  auto sized = symlink({"sized"}, {"d", "a"});
  sized["length"] = 7;  // holds no data all the same
  auto m = parse_metainfo(torrent(multi_info(
      Value::List{file_entry({"d", "a"}, 5), symlink({"d", "l"}, {"d", "a"}), sized,
                  symlink({"up"}, {"..", "..", "etc", "passwd"}), symlink({"abs"}, {"/etc/passwd"}),
                  symlink({"root"}, {"."}), Value::Dict{{"attr", "l"}, {"path", Value::List{"none"}}},
                  file_entry({"b"}, 5)},
      10)));
  ASSERT_TRUE(m) << m.status().to_string();
  ASSERT_EQ(m->files.size(), 8u);
  EXPECT_TRUE(m->files[1].symlink);
  EXPECT_EQ(m->files[1].symlink_target, "dir/d/a");
  EXPECT_EQ(m->files[1].size, 0);
  EXPECT_EQ(m->files[2].size, 0);
  EXPECT_EQ(m->files[7].offset, 5);  // no bytes for the links
  EXPECT_EQ(m->files[3].symlink_target, "");  // climbs out: not made
  EXPECT_EQ(m->files[4].symlink_target, "dir/_etc_passwd");  // a name inside, like any path
  EXPECT_EQ(m->files[5].symlink_target, "");  // the torrent's root itself
  EXPECT_EQ(m->files[6].symlink_target, "");  // no target
  EXPECT_FALSE(m->files[1].regular());
  int not_made = 0;
  for (const auto& w : m->warnings) not_made += w.find("is not made") != std::string::npos;
  EXPECT_EQ(not_made, 3);
}

TEST(MetainfoHostile, ATorrentNamedFluxoDoesNotShareTheResumeDirectory) {
  // DIR/.fluxo/ holds the resume data of every torrent in DIR.
  auto info = single_info();
  info["name"] = ".fluxo";
  auto single = parse_metainfo(torrent(info));
  ASSERT_TRUE(single) << single.status().to_string();
  EXPECT_EQ(single->name, "_fluxo");
  EXPECT_EQ(single->files[0].path, "_fluxo");
  EXPECT_FALSE(single->warnings.empty());
  auto multi = multi_info(Value::List{file_entry({"x.resume"}, 10)}, 10);
  multi["name"] = ".fluxo";
  auto m = parse_metainfo(torrent(multi));
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m->name, "_fluxo");
  EXPECT_EQ(m->files[0].path, "_fluxo/x.resume");
  // A .fluxo below the torrent's own directory is harmless and kept.
  auto nested = parse_metainfo(torrent(multi_info(Value::List{file_entry({".fluxo", "a"}, 10)}, 10)));
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->files[0].path, "dir/.fluxo/a");
}

TEST(MetainfoHostile, AbsolutePathsStayInside) {
  // A component "/etc" has its separator replaced: it cannot be absolute.
  auto m = parse_metainfo(torrent(multi_info(Value::List{file_entry({"/etc", "passwd"}, 10)}, 10)));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->files[0].path, "dir/_etc/passwd");
  auto info = single_info();
  info["name"] = "/etc/passwd";
  auto s = parse_metainfo(torrent(info));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "_etc_passwd");
}

TEST(MetainfoHostile, SeparatorsInsideComponentsAreReplaced) {
  auto m = parse_metainfo(
      torrent(multi_info(Value::List{file_entry({"a/../../b", "c\\..\\d"}, 10)}, 10)));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->files[0].path, "dir/a_.._.._b/c_.._d");
}

TEST(MetainfoHostile, NulInANameIsRefused) {
  expect_rejected(torrent(multi_info(Value::List{file_entry({std::string("a\0b", 3)}, 10)}, 10)));
  auto info = single_info();
  info["name"] = std::string("x\0y", 3);
  expect_rejected(torrent(info));
}

TEST(MetainfoHostile, WindowsDeviceNamesArePrefixed) {
  auto m = parse_metainfo(torrent(multi_info(
      Value::List{file_entry({"CON"}, 1), file_entry({"lpt1.txt"}, 1), file_entry({"aux", "x"}, 1),
                  file_entry({"console"}, 1)},
      4)));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->files[0].path, "dir/_CON");
  EXPECT_EQ(m->files[1].path, "dir/_lpt1.txt");
  EXPECT_EQ(m->files[2].path, "dir/_aux/x");
  EXPECT_EQ(m->files[3].path, "dir/console");
}

TEST(MetainfoHostile, BencodeErrorsCarryOffsets) {
  std::string bytes = torrent(single_info());
  bytes.resize(bytes.size() - 10);
  auto s = parse_error(bytes);
  EXPECT_EQ(s.code(), ErrorCode::parse_error);
  EXPECT_NE(s.offset(), Status::npos);
}

TEST(MetainfoHostile, DeepNestingOutsideInfoIsBounded) {
  std::string deep = std::string(5000, 'l') + std::string(5000, 'e');
  std::string bytes = "d4:info" + bencode::encode(Value(single_info())) + "1:x" + deep + "e";
  EXPECT_EQ(parse_error(bytes).code(), ErrorCode::limit_exceeded);
}

TEST(MetainfoHostile, OverlongNamesAreShortenedKeepingTheExtension) {
  std::string longname(300, 'n');
  longname += ".mkv";
  auto m = parse_metainfo(torrent(multi_info(Value::List{file_entry({longname}, 1)}, 1)));
  ASSERT_TRUE(m);
  std::string leaf = m->files[0].path.substr(4);
  EXPECT_EQ(leaf.size(), 255u);
  EXPECT_TRUE(leaf.ends_with(".mkv"));
}

}  // namespace
}  // namespace fluxo
