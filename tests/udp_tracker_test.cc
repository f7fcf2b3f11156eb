// UdpTrackerClient (BEP 15) on loopback: opentracker over UDP (announce,
// scrape, stopped), a tracker that drops the first requests (resent after
// the first wait), and trackers that answer wrongly (interop/udp_tracker.py):
// from another address, with a transaction id never sent, with an error, with
// too many peers, or never. Each test has its own 127.7.9.x addresses.
#include "net/udp_tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/support/background.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kPython = "/usr/bin/python3";
const std::string kSrc = FLUXO_SOURCE_DIR;

AnnounceRequest request(char fill, std::uint16_t port = 7000) {
  AnnounceRequest r;
  r.info_hash.bytes.fill(0x6b);
  r.peer_id.fill(static_cast<std::uint8_t>(fill));
  r.port = port;
  r.left = 1000;
  r.event = AnnounceEvent::started;
  return r;
}

TrackerOptions within(std::chrono::milliseconds t) {
  TrackerOptions o;
  o.timeout = t;
  return o;
}

class UdpTrackerTest : public ::testing::Test {
 protected:
  std::unique_ptr<test::BackgroundProcess> fake(const std::string& ip, const std::string& mode,
                                                std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{kPython, kSrc + "/tests/interop/udp_tracker.py", ip, "6969", mode};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<test::BackgroundProcess>(argv, dir_ / ("udp-" + ip + ".log"));
    EXPECT_TRUE(p->wait_for_line("ready", 20s)) << test::read_file(dir_ / ("udp-" + ip + ".log"));
    return p;
  }
  static UdpTrackerOptions quick(const std::string& source = "") {
    UdpTrackerOptions o;
    o.first_wait = 200ms;
    o.source_address = source;
    return o;
  }
  test::TempDir dir_;
};

TEST_F(UdpTrackerTest, OpentrackerOverUdpListsPeersScrapesAndForgetsTheStopped) {
  test::OpenTracker ot(dir_ / "tracker", "127.7.9.250", 6969, {request('a').info_hash.hex()});
  const std::string url = "udp://127.7.9.250:6969/announce";
  UdpTrackerClient a(quick("127.7.9.1")), b(quick("127.7.9.2"));
  auto first = a.announce(url, request('a', 7001), within(5s));
  ASSERT_TRUE(first) << first.status().message();
  auto second = b.announce(url, request('b', 7002), within(5s));
  ASSERT_TRUE(second) << second.status().message();
  EXPECT_GE(second->interval, kMinInterval);
  bool listed = false;
  for (const auto& p : second->peers) listed |= p == PeerAddress{"127.7.9.1", 7001};
  EXPECT_TRUE(listed) << "peers: " << second->peers.size();
  const InfoHash hash = request('a').info_hash;
  auto figures = a.scrape(url, std::span(&hash, 1), within(5s));
  ASSERT_TRUE(figures) << figures.status().message();
  ASSERT_EQ(figures->size(), 1u);
  EXPECT_EQ((*figures)[0].leechers, 2);
  auto stopped = request('a', 7001);
  stopped.event = AnnounceEvent::stopped;
  ASSERT_TRUE(a.announce(url, stopped, within(5s)));
  figures = b.scrape(url, std::span(&hash, 1), within(5s));
  ASSERT_TRUE(figures) << figures.status().message();
  EXPECT_EQ((*figures)[0].leechers, 1);
}

TEST_F(UdpTrackerTest, RequestsDroppedOnTheWayAreSentAgain) {
  test::OpenTracker ot(dir_ / "tracker", "127.7.9.251", 6969, {request('a').info_hash.hex()});
  auto proxy = fake("127.7.9.3", "drop", {"--forward", "127.7.9.251:6969", "--drop", "3"});
  UdpTrackerClient c(quick());
  auto r = c.announce("udp://127.7.9.3:6969", request('c'), within(10s));
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_TRUE(proxy->wait_for_line("dropped 3", 1s)) << proxy->output();
}

TEST_F(UdpTrackerTest, AReplyFromAnotherAddressIsIgnored) {
  auto t = fake("127.7.9.4", "wrong-source", {"--other-ip", "127.7.9.5"});
  UdpTrackerClient c(quick());
  auto r = c.announce("udp://127.7.9.4:6969", request('d'), within(1500ms));
  ASSERT_FALSE(r) << "accepted a reply from another address";
  EXPECT_EQ(r.status().code(), ErrorCode::network_error) << r.status().message();
  EXPECT_NE(r.status().message().find("timed out after 1 s"), std::string::npos) << r.status().message();
}

TEST_F(UdpTrackerTest, AReplyToATransactionNeverSentIsIgnored) {
  auto t = fake("127.7.9.6", "wrong-tid");
  UdpTrackerClient c(quick());
  auto r = c.announce("udp://127.7.9.6:6969", request('e'), within(1500ms));
  ASSERT_FALSE(r) << "accepted a reply to another transaction";
  EXPECT_EQ(r.status().code(), ErrorCode::network_error) << r.status().message();
}

TEST_F(UdpTrackerTest, AnErrorReplyIsATrackerFailure) {
  auto t = fake("127.7.9.7", "error");
  UdpTrackerClient c(quick());
  auto r = c.announce("udp://127.7.9.7:6969", request('f'), within(5s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::protocol_error);
  EXPECT_NE(r.status().message().find("udp://127.7.9.7:6969: tracker failure: go away"), std::string::npos)
      << r.status().message();
}

TEST_F(UdpTrackerTest, AFloodOfPeersIsCapped) {
  auto t = fake("127.7.9.8", "flood");
  UdpTrackerClient c(quick());
  auto r = c.announce("udp://127.7.9.8:6969", request('g'), within(5s));
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->peers.size(), 2000u);
}

// Over IPv6 (the tracker at [::1]) the peers come 18 bytes each.
TEST_F(UdpTrackerTest, AnIpv6TrackerListsIpv6Peers) {
  auto t = fake("::1", "ipv6");
  UdpTrackerClient c(quick());
  auto r = c.announce("udp://[::1]:6969/announce", request('h'), within(5s));
  ASSERT_TRUE(r) << r.status().message();
  ASSERT_EQ(r->peers.size(), 2u);
  EXPECT_EQ(r->peers[0], (PeerAddress{"::1", 6881}));
  EXPECT_EQ(r->peers[1], (PeerAddress{"2001:db8::7", 51413}));
}

TEST_F(UdpTrackerTest, AStopEndsACallToASilentTracker) {
  auto t = fake("127.7.9.9", "silent");
  UdpTrackerClient c(UdpTrackerOptions{});  // the BEP 15 schedule: the first resend after 15 s
  std::atomic<bool> stop{false};
  Clock::time_point stopped_at;
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stopped_at = Clock::now();
    stop.store(true);
  });
  auto r = c.announce("udp://127.7.9.9:6969", request('h'), within(60s), &stop);
  const auto ended = Clock::now();
  stopper.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::cancelled) << r.status().message();
  EXPECT_LT(std::chrono::duration<double>(ended - stopped_at).count(), 1.0);
}

}  // namespace
}  // namespace fluxo
