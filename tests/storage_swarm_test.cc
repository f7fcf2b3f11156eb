// The download directory is ours to write, nothing else: the fluxo command
// with links planted below DIR and with two downloads writing one file at
// once. Each test has its own 127.0.61.x addresses; no peer ever answers
// (storage is opened, and refused, before any peer matters).
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;
namespace fs = std::filesystem;

class TrustTest : public SwarmTest {};

TEST_F(TrustTest, ALinkBelowTheDownloadDirectoryIsRefusedWithExitFour) {
  std::string torrent = make_torrent(multi_payload("multi"), "", "64KiB");
  fs::create_directories(path("elsewhere"));
  for (const std::string rel : {"multi", "multi/sub"}) {
    fs::remove_all(path("out"));
    fs::create_directories(fs::path(path("out/" + rel)).parent_path());
    ASSERT_EQ(::symlink(path("elsewhere").c_str(), path("out/" + rel).c_str()), 0);
    auto r = download(torrent, {"--no-trackers", "--peer", "127.0.61.1:7261"});
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find(path("out/" + rel) + ": is a symbolic link; refusing to follow it"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(fs::is_empty(path("elsewhere"))) << "written through out/" << rel;
  }
}

TEST_F(TrustTest, TwoDownloadsWritingOneFileCannotRunAtOnce) {
  // Two torrents of one file name (different piece sizes: different info-hashes).
  std::string payload = single_payload("x.bin", 1'000'000);
  std::string first = make_torrent(payload, "", "16KiB");
  std::string second = make_torrent(payload, "", "32KiB");
  ASSERT_NE(info_hash(first), info_hash(second));
  BackgroundProcess running(
      {FLUXO_BINARY, "download", first, "-o", path("out"), "--json", "--no-trackers", "--peer",
       "127.0.61.3:7263", "--listen", "127.0.61.2", "--port", "7262", "--stall-timeout", "60"},
      path("first.log"));
  // It listens once its storage is open (and locked).
  ASSERT_TRUE(running.wait_for_line("{\"event\":\"listening\"", 30s))
      << read_file(path("first.log"));
  auto r = download(second, {"--no-trackers", "--peer", "127.0.61.3:7263"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find(path("out/x.bin") + " is being written by another fluxo process"),
            std::string::npos)
      << r.err;
  // The same torrent a second time is refused too.
  auto again = download(first, {"--no-trackers", "--peer", "127.0.61.3:7263"});
  EXPECT_EQ(again.exit_code, 4) << again.err;
  EXPECT_NE(again.err.find("is being downloaded there by another fluxo process"), std::string::npos)
      << again.err;
  EXPECT_EQ(running.stop(SIGINT, 10s), 130);
}

}  // namespace
}  // namespace fluxo
