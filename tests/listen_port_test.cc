// One process per port: a second `fluxo seed` told to use a port another
// fluxo already listens on moves to the next free one (README: "--port N
// listen for peers on N, or the next free port") instead of sharing it.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;

TEST_F(SwarmTest, SecondSeederOnATakenPortMovesToTheNext) {
  std::string payload = single_payload("port.bin", 100'003);
  std::string torrent = make_torrent(payload, "", "16KiB");
  auto first = fluxo_seeder(torrent, "127.7.7.1", 7301);
  // The second seeds its own copy: only the port is shared.
  std::filesystem::create_directories(path("data2"));
  std::filesystem::copy_file(payload, path("data2/port.bin"));
  BackgroundProcess second({FLUXO_BINARY, "seed", torrent, "-d", path("data2"), "--listen",
                            "127.7.7.1", "--port", "7301", "--json"},
                           path("second.log"));
  ASSERT_TRUE(second.wait_for_line("{\"event\":\"listening\"", 60s))
      << read_file(path("second.log"));
  const std::string& line = second.lines().back();
  EXPECT_EQ(line.find("\"127.7.7.1:7301\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"127.7.7.1:7302\""), std::string::npos) << line;
}

}  // namespace
}  // namespace fluxo
