#include "core/torrent_builder.h"

#include <gtest/gtest.h>

#include "core/metainfo.h"

namespace fluxo {
namespace {

TEST(TorrentBuilder, AutoPieceLengthIsAPowerOfTwoInRange) {
  EXPECT_EQ(auto_piece_length(1), 16 << 10);
  EXPECT_EQ(auto_piece_length(std::int64_t{1} << 30), 1 << 20);  // 1 GiB -> 1024 pieces of 1 MiB
  EXPECT_EQ(auto_piece_length(std::int64_t{1} << 50), 16 << 20);
  for (std::int64_t total : {std::int64_t{100} << 20, std::int64_t{3} << 30, std::int64_t{7777777777}}) {
    std::int64_t pl = auto_piece_length(total);
    EXPECT_EQ(pl & (pl - 1), 0);
    std::int64_t pieces = (total + pl - 1) / pl;
    EXPECT_LE(pieces, 2000);
    EXPECT_GE(pieces, 1000);
  }
}

TEST(TorrentBuilder, MultiFileOutputParsesBack) {
  TorrentSpec spec;
  spec.name = "dir";
  spec.files = {{{"a"}, 10, ""}, {{"sub", "b"}, 20000, "x"}};
  spec.piece_length = 16384;
  spec.piece_hashes = std::string(40, 'h');
  spec.trackers = {{"http://a/1", "http://a/2"}, {"udp://b/1"}};
  spec.web_seeds = {"http://w/"};
  spec.is_private = true;
  spec.comment = "c";
  spec.created_by = "fluxo";
  spec.creation_date = 1234;
  auto m = parse_metainfo(build_torrent(spec));
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m->files.size(), 2u);
  EXPECT_EQ(m->files[1].path, "dir/sub/b");
  EXPECT_TRUE(m->files[1].executable);
  EXPECT_EQ(m->trackers, spec.trackers);
  EXPECT_EQ(m->web_seeds, spec.web_seeds);
  EXPECT_TRUE(m->is_private);
  EXPECT_EQ(m->creation_date, 1234);
  EXPECT_TRUE(m->warnings.empty());
}

TEST(TorrentBuilder, SingleFileWithOneTrackerHasNoAnnounceList) {
  TorrentSpec spec;
  spec.name = "f";
  spec.single_file = true;
  spec.files = {{{}, 5, ""}};
  spec.piece_length = 16384;
  spec.piece_hashes = std::string(20, 'h');
  spec.trackers = {{"http://only"}};
  std::string t = build_torrent(spec);
  EXPECT_EQ(t.find("announce-list"), std::string::npos);
  auto m = parse_metainfo(t);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->multi_file);
  EXPECT_EQ(m->trackers, (std::vector<std::vector<std::string>>{{"http://only"}}));
}

}  // namespace
}  // namespace fluxo
