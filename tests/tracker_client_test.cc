// announce() against real HTTP servers on loopback: a tracker that dribbles
// its reply or never answers (interop/dribble_tracker.py) must not hold an
// announce past its deadline or past a stop request; opentracker, plain and
// behind TLS (interop/tls_proxy.py), must still answer. Each test has its own
// 127.7.x.y addresses.
#include "net/tracker_client.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/background.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kPython = "/usr/bin/python3";
const std::string kSrc = FLUXO_SOURCE_DIR;

// Announces write to sockets the far end may have shut: a failed send must be
// an error, not SIGPIPE (fluxo itself ignores it in main).
const bool kNoSigpipe = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

AnnounceRequest request(char fill = 'a') {
  AnnounceRequest r;
  r.info_hash.bytes.fill(0x5a);
  r.peer_id.fill(static_cast<std::uint8_t>(fill));
  r.port = 7000;
  r.left = 1000;
  r.event = AnnounceEvent::started;
  return r;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class TrackerClientTest : public ::testing::Test {
 protected:
  // dribble_tracker.py on ip:6969 in `mode`; returns once it listens.
  std::unique_ptr<test::BackgroundProcess> tracker(const std::string& ip, const std::string& mode,
                                                   std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{kPython, kSrc + "/tests/interop/dribble_tracker.py", ip, "6969",
                                  mode};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<test::BackgroundProcess>(argv, dir_ / ("dribble-" + ip + ".log"));
    EXPECT_TRUE(p->wait_for_line("ready", 20s))
        << test::read_file(dir_ / ("dribble-" + ip + ".log"));
    return p;
  }

  // A self-signed certificate for `ip`.
  void make_cert(const std::string& ip) {
    auto r = test::run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                "-keyout", dir_ / "key.pem", "-out", dir_ / "cert.pem", "-days",
                                "2", "-subj", "/CN=" + ip, "-addext", "subjectAltName=IP:" + ip});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TrackerOptions options(std::chrono::milliseconds timeout) {
    TrackerOptions o;
    o.timeout = timeout;
    return o;
  }

  // The announce with `stop` set from another thread after 300 ms; checks it
  // ends within 1 s of that as cancelled.
  void expect_stops(const std::string& url, const TrackerOptions& o) {
    std::atomic<bool> stop{false};
    Clock::time_point stopped_at;
    std::thread stopper([&] {
      std::this_thread::sleep_for(300ms);
      stopped_at = Clock::now();
      stop.store(true);
    });
    auto r = announce(url, request(), o, &stop);
    auto ended = Clock::now();
    stopper.join();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), ErrorCode::cancelled) << r.status().message();
    EXPECT_NE(r.status().message().find("stopped"), std::string::npos) << r.status().message();
    EXPECT_LT(std::chrono::duration<double>(ended - stopped_at).count(), 1.0);
  }

  // The announce with a 2 s deadline; checks it times out well before the
  // tracker would have finished (minutes at one byte per 0.5 s).
  void expect_times_out(const std::string& url, TrackerOptions o) {
    o.timeout = 2s;
    auto start = Clock::now();
    auto r = announce(url, request(), o);
    double took = seconds_since(start);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), ErrorCode::network_error);
    EXPECT_NE(r.status().message().find("tracker " + url + ": timed out after 2 s"),
              std::string::npos)
        << r.status().message();
    EXPECT_GE(took, 1.9);
    EXPECT_LT(took, 6.0);
  }

  test::TempDir dir_;
};

TEST_F(TrackerClientTest, DribblingTrackerTimesOutAtTheOverallDeadline) {
  auto t = tracker("127.7.1.1", "dribble", {"--interval", "0.5"});
  expect_times_out("http://127.7.1.1:6969/announce", options(2s));
}

TEST_F(TrackerClientTest, DribblingTrackerTimesOutWithASourceAddress) {
  auto t = tracker("127.7.1.2", "dribble", {"--interval", "0.5"});
  TrackerOptions o = options(2s);
  o.source_address = "127.7.1.3";
  expect_times_out("http://127.7.1.2:6969/announce", o);
}

TEST_F(TrackerClientTest, SilentTrackerTimesOut) {
  auto t = tracker("127.7.1.4", "silent");
  expect_times_out("http://127.7.1.4:6969/announce", options(2s));
}

TEST_F(TrackerClientTest, TlsTrackerThatNeverHandshakesTimesOut) {
  auto t = tracker("127.7.1.5", "silent");
  TrackerOptions o = options(2s);
  o.insecure = true;
  expect_times_out("https://127.7.1.5:6969/announce", o);
}

TEST_F(TrackerClientTest, DribblingTlsTrackerTimesOut) {
  make_cert("127.7.1.6");
  auto t = tracker("127.7.1.6", "dribble",
                   {"--interval", "0.5", "--tls", dir_ / "cert.pem", dir_ / "key.pem"});
  TrackerOptions o = options(2s);
  o.ca_file = dir_ / "cert.pem";
  expect_times_out("https://127.7.1.6:6969/announce", o);
}

TEST_F(TrackerClientTest, StopEndsAnAnnounceToADribblingTracker) {
  auto t = tracker("127.7.2.1", "dribble", {"--interval", "0.5"});
  expect_stops("http://127.7.2.1:6969/announce", options(60s));
}

TEST_F(TrackerClientTest, StopEndsAnAnnounceWithASourceAddressToASilentTracker) {
  auto t = tracker("127.7.2.2", "silent");
  TrackerOptions o = options(60s);
  o.source_address = "127.7.2.3";
  expect_stops("http://127.7.2.2:6969/announce", o);
}

TEST_F(TrackerClientTest, StopEndsATlsHandshakeThatNeverCompletes) {
  auto t = tracker("127.7.2.4", "silent");
  TrackerOptions o = options(60s);
  o.insecure = true;
  expect_stops("https://127.7.2.4:6969/announce", o);
}

TEST_F(TrackerClientTest, StopAlreadySetReturnsAtOnce) {
  auto t = tracker("127.7.2.5", "silent");
  std::atomic<bool> stop{true};
  auto start = Clock::now();
  auto r = announce("http://127.7.2.5:6969/announce", request(), options(60s), &stop);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::cancelled);
  EXPECT_LT(seconds_since(start), 0.5);
}

class OpenTrackerTest : public TrackerClientTest {
 protected:
  std::string hash_hex() { return request().info_hash.hex(); }
};

TEST_F(OpenTrackerTest, AnnounceFromASourceAddressIsListedThere) {
  test::OpenTracker ot(dir_ / "tracker", "127.7.3.250", 6969, {hash_hex()});
  TrackerOptions o = options(5s);
  o.source_address = "127.7.3.1";
  auto first = announce(ot.announce_url(), request('a'), o);
  ASSERT_TRUE(first) << first.status().message();
  o.source_address = "127.7.3.2";
  AnnounceRequest second_req = request('b');
  second_req.port = 7001;
  auto second = announce(ot.announce_url(), second_req, o);
  ASSERT_TRUE(second) << second.status().message();
  EXPECT_GE(second->interval, kMinInterval);
  bool listed = false;
  for (const auto& p : second->peers) listed |= p == PeerAddress{"127.7.3.1", 7000};
  EXPECT_TRUE(listed) << "peers: " << second->peers.size();
}

TEST_F(OpenTrackerTest, RedirectIsFollowedWithinTheSameScheme) {
  test::OpenTracker ot(dir_ / "tracker", "127.7.3.251", 6969, {hash_hex()});
  auto t = tracker("127.7.3.3", "redirect", {"--location", ot.announce_url()});
  auto r = announce("http://127.7.3.3:6969/announce", request(), options(5s));
  ASSERT_TRUE(r) << r.status().message();
}

TEST_F(OpenTrackerTest, RedirectToAnotherSchemeIsRefused) {
  auto t = tracker("127.7.3.4", "redirect", {"--location", "https://127.7.3.4:6970/announce"});
  auto r = announce("http://127.7.3.4:6969/announce", request(), options(5s));
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("another scheme"), std::string::npos) << r.status().message();
}

TEST_F(OpenTrackerTest, HttpsAnnounceVerifiesTheCertificate) {
  test::OpenTracker ot(dir_ / "tracker", "127.7.4.251", 6969, {hash_hex()});
  make_cert("127.7.4.250");
  test::BackgroundProcess proxy(
      {kPython, kSrc + "/tests/interop/tls_proxy.py", "127.7.4.250", "6970", "127.7.4.251", "6969",
       dir_ / "cert.pem", dir_ / "key.pem"},
      dir_ / "proxy.log");
  ASSERT_TRUE(proxy.wait_for_line("ready", 20s)) << test::read_file(dir_ / "proxy.log");
  const std::string url = "https://127.7.4.250:6970/announce";

  auto refused = announce(url, request(), options(5s));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::network_error);

  TrackerOptions trusted = options(5s);
  trusted.ca_file = dir_ / "cert.pem";
  auto ok = announce(url, request(), trusted);
  EXPECT_TRUE(ok) << ok.status().message();

  TrackerOptions insecure = options(5s);
  insecure.insecure = true;
  auto also_ok = announce(url, request(), insecure);
  EXPECT_TRUE(also_ok) << also_ok.status().message();
}

}  // namespace
}  // namespace fluxo
