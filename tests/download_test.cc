// fluxo download against real peers and trackers on loopback: libtorrent
// seeders (python3-libtorrent), aria2c, opentracker (plain and behind TLS),
// and the project's own misbehaving or massed peers (interop/py_peer.py).
// Every result is compared byte for byte with the original. Each test uses
// its own 127.x.y.z addresses, so tests can run in parallel.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <thread>

#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;

TEST_F(SwarmTest, SingleFileFromEightLibtorrentSeedersViaOpentracker) {
  std::string payload = single_payload("single.bin", 24'000'007);
  // The info-hash does not depend on the announce URL, so the tracker can
  // be started after the torrent is made, with the hash in its whitelist.
  std::string torrent = make_torrent(payload, "http://127.0.10.250:6969/announce", "64KiB");
  test::OpenTracker tracker(path("tracker"), "127.0.10.250", 6969, {info_hash(torrent)});
  auto seeders = lt_seeders(torrent, 8, "127.0.11.");
  // At least two listed, so the download can show it used more than one.
  ASSERT_TRUE(wait_for_tracker("127.0.10.250", 6969, info_hash(torrent), 2));
  auto r = download(torrent, {});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = parse_events(r.out);
  auto fin = ev.last("finished");
  ASSERT_TRUE(fin);
  EXPECT_TRUE(fin->getValue<bool>("ok"));
  EXPECT_EQ(fin->getValue<std::int64_t>("bytes"), 24'000'007);
  EXPECT_GE(fin->getValue<int>("peers_used"), 2);
  EXPECT_GE(ev.count("tracker_ok"), 1);
  expect_same_tree(payload, path("out/single.bin"));
  // The download stopped as it completed and still told the tracker both:
  // `completed` (counted as a download; the seeders never send it) and
  // `stopped` (no leecher left).
  EXPECT_EQ(scrape_figure("127.0.10.250", 6969, info_hash(torrent), "downloaded"), 1);
  EXPECT_EQ(scrape_figure("127.0.10.250", 6969, info_hash(torrent), "incomplete"), 0);
}

// BEP 15: a torrent whose only tracker is udp://. The libtorrent seeders
// announce to opentracker over UDP too; fluxo finds them there, and tells the
// tracker it completed and stopped, over UDP.
TEST_F(SwarmTest, SingleFileFromLibtorrentSeedersViaAUdpOnlyTracker) {
  std::string payload = single_payload("udp.bin", 9'000'011);
  std::string torrent = make_torrent(payload, "udp://127.0.94.250:6969/announce", "64KiB");
  test::OpenTracker tracker(path("tracker"), "127.0.94.250", 6969, {info_hash(torrent)});
  // One libtorrent session per process: of several sessions in one process
  // only one announced over UDP here.
  auto first = lt_seeders(torrent, 1, "127.0.95.");
  auto second = lt_seeders(torrent, 1, "127.0.96.");
  ASSERT_TRUE(wait_for_tracker("127.0.94.250", 6969, info_hash(torrent), 2));
  auto r = download(torrent, {"--udp-resend-ms", "500"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = parse_events(r.out);
  ASSERT_GE(ev.count("tracker_ok"), 1) << r.out;
  EXPECT_GE(ev.last("finished")->getValue<int>("peers_used"), 2);
  expect_same_tree(payload, path("out/udp.bin"));
  EXPECT_EQ(scrape_figure("127.0.94.250", 6969, info_hash(torrent), "downloaded"), 1);
  EXPECT_EQ(scrape_figure("127.0.94.250", 6969, info_hash(torrent), "incomplete"), 0);
  // fluxo scrape asks the same tracker over UDP (BEP 15) and over HTTP (BEP
  // 48: the same torrent with the tracker's http:// announce URL).
  std::string over_http = make_torrent(payload, "http://127.0.94.250:6969/announce", "64KiB");
  ASSERT_EQ(info_hash(over_http), info_hash(torrent));
  for (const auto& t : {torrent, over_http}) {
    auto sc = run_process({FLUXO_BINARY, "scrape", t, "--json", "--udp-resend-ms", "500"});
    ASSERT_EQ(sc.exit_code, 0) << sc.out << sc.err;
    auto j = Poco::JSON::Parser().parse(sc.out).extract<Poco::JSON::Object::Ptr>();
    auto row = j->getArray("trackers")->getObject(0);
    EXPECT_EQ(row->getValue<int>("seeders"), 2) << sc.out;
    EXPECT_EQ(row->getValue<int>("leechers"), 0) << sc.out;
    EXPECT_EQ(row->getValue<int>("completed"), 1) << sc.out;
  }
}

// BEP 12 with both kinds: the first tier's UDP tracker never answers, the
// second tier's HTTP one does. The announce moves on after its deadline and
// finds the seeders there.
TEST_F(SwarmTest, TiersThatMixUdpAndHttpTrackersAreTriedInOrder) {
  std::string payload = single_payload("tiers.bin", 3'000'017);
  std::string torrent = make_torrent(payload, "", "32KiB",
                                     {"-t", "udp://127.0.74.250:6969/announce", "-t", "http://127.0.74.251:6969/announce"});
  test::OpenTracker tracker(path("tracker"), "127.0.74.251", 6969, {info_hash(torrent)});
  auto seeders = lt_seeders(torrent, 2, "127.0.75.");
  ASSERT_TRUE(wait_for_tracker("127.0.74.251", 6969, info_hash(torrent), 2));
  auto r = download(torrent, {"--tracker-timeout", "2", "--udp-resend-ms", "500"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/tiers.bin"));
  auto ev = parse_events(r.out);
  int udp_failed_at = -1, http_ok_at = -1, i = 0;
  for (const auto& e : ev.events) {
    const std::string kind = e->getValue<std::string>("event");
    const std::string msg = e->has("message") ? e->getValue<std::string>("message") : "";
    if (kind == "tracker_error" && msg.find("udp://127.0.74.250:6969") != std::string::npos && udp_failed_at < 0) {
      udp_failed_at = i;
    }
    if (kind == "tracker_ok" && msg.find("http://127.0.74.251:6969") != std::string::npos && http_ok_at < 0) {
      http_ok_at = i;
    }
    ++i;
  }
  ASSERT_GE(udp_failed_at, 0) << r.out;
  ASSERT_GE(http_ok_at, 0) << r.out;
  EXPECT_LT(udp_failed_at, http_ok_at) << r.out;
}

TEST_F(SwarmTest, MultiFileWithOddSizesFromEightLibtorrentSeedersViaOpentracker) {
  std::string payload = multi_payload("multi");
  std::string torrent = make_torrent(payload, "http://127.0.12.250:6969/announce", "32KiB");
  test::OpenTracker tracker(path("tracker"), "127.0.12.250", 6969, {info_hash(torrent)});
  auto seeders = lt_seeders(torrent, 8, "127.0.13.");
  // At least two listed, so the download can show it used more than one.
  ASSERT_TRUE(wait_for_tracker("127.0.12.250", 6969, info_hash(torrent), 2));
  auto r = download(torrent, {});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/multi"));
  EXPECT_TRUE(std::filesystem::exists(path("out/multi/sub/empty2")));
}

TEST_F(SwarmTest, PeerOnlyWithNoTrackerFromAria2Seeder) {
  std::string payload = single_payload("aria.bin", 9'999'991);
  std::string torrent = make_torrent(payload, "", "128KiB");
  BackgroundProcess aria({"aria2c", "--dir=" + path("data"), "--seed-ratio=0.0", "--seed-time=10",
                          "--bt-seed-unverified=true", "--check-integrity=false", "--enable-dht=false",
                          "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                          "--listen-port=7001", "--console-log-level=warn", "--summary-interval=0",
                          "--bt-detach-seed-only=false", "--enable-color=false", torrent},
                         path("aria2.log"));
  // aria2c prints nothing when ready; wait for its port.
  ASSERT_TRUE(wait_for_port("127.0.0.1", 7001)) << test::read_file(path("aria2.log"));
  auto r = download(torrent, {"--peer", "127.0.0.1:7001"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << test::read_file(path("aria2.log"));
  expect_same_tree(payload, path("out/aria.bin"));
}

TEST_F(SwarmTest, LiarIsBannedAndTheDownloadCompletesFromHonestSeeders) {
  std::string payload = single_payload("liar.bin", 16'000'003);
  std::string torrent = make_torrent(payload, "", "64KiB");
  auto honest = lt_seeders(torrent, 3, "127.0.14.");
  auto liar = py_seeders(torrent, 1, "127.0.15.", {"--corrupt-every", "2"});
  auto r = download(torrent, {"--peer", "127.0.15.1:6881", "--peer", "127.0.14.1:6881", "--peer",
                              "127.0.14.2:6881", "--peer", "127.0.14.3:6881"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = parse_events(r.out);
  auto banned = ev.last("peer_banned");
  ASSERT_TRUE(banned) << r.out;
  EXPECT_EQ(banned->getValue<std::string>("message").rfind("127.0.15.1 (", 0), 0u) << r.out;
  EXPECT_EQ(ev.count("peer_banned"), 1) << r.out;  // the liar only
  EXPECT_GE(ev.last("finished")->getValue<int>("hash_failures"), 1);
  expect_same_tree(payload, path("out/liar.bin"));
}

TEST_F(SwarmTest, SeederKilledMidTransfer) {
  std::string payload = single_payload("killed.bin", 20'000'000);
  std::string torrent = make_torrent(payload, "", "64KiB");
  // Two slow seeders (3 MB/s each) in separate processes; one is killed once
  // the download is under way, and the other must finish the job.
  auto doomed = lt_seeders(torrent, 1, "127.0.16.", {"--upload-limit", "3000000"});
  auto survivor = lt_seeders(torrent, 1, "127.0.17.", {"--upload-limit", "3000000"});
  BackgroundProcess dl({FLUXO_BINARY, "download", torrent, "-o", path("out"), "--json", "--listen", own_ip(),
                        "--stall-timeout", "30", "--peer", "127.0.16.1:6881", "--peer", "127.0.17.1:6881"},
                       path("dl.log"));
  // Under way: a progress event with data verified from both.
  std::string out;
  bool under_way = false;
  for (int i = 0; i < 200 && !under_way; ++i) {
    ASSERT_TRUE(dl.wait_for_line("{\"event\":\"progress\"", 30s)) << dl.output();
    auto e = parse_events(dl.lines().back()).last("progress");
    under_way = e && e->getValue<std::int64_t>("verified_bytes") > 2'000'000 && e->getValue<int>("peers_connected") >= 2;
  }
  ASSERT_TRUE(under_way);
  doomed->kill_now();
  ASSERT_TRUE(dl.wait_for_line("{\"event\":\"finished\"", 60s)) << dl.output();
  auto fin = parse_events(dl.lines().back()).last("finished");
  ASSERT_TRUE(fin);
  EXPECT_TRUE(fin->getValue<bool>("ok")) << dl.lines().back();
  EXPECT_GE(fin->getValue<int>("peers_used"), 2);
  EXPECT_EQ(dl.stop(SIGTERM, 10s), 0);  // it had already exited, successfully
  expect_same_tree(payload, path("out/killed.bin"));
}

TEST_F(SwarmTest, TwoHundredPeersAtOnceOnTwoCores) {
  std::string payload = single_payload("many.bin", 12'000'000);
  std::string torrent = make_torrent(payload, "", "32KiB");
  // Every peer waits 3 s before unchoking, so all are connected at once.
  auto swarm = py_seeders(torrent, 200, "127.0.18.", {"--unchoke-delay", "3"});
  std::vector<std::string> args{"--max-peers", "200"};
  for (int i = 1; i <= 200; ++i) {
    args.push_back("--peer");
    args.push_back("127.0.18." + std::to_string(i) + ":6881");
  }
  auto r = download(torrent, args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = parse_events(r.out);
  // Every peer is connected at once (they all wait 3 s before unchoking);
  // how many end up delivering blocks is up to the picker, not promised.
  EXPECT_GE(ev.max_int("progress", "peers_connected"), 190) << r.out;
  expect_same_tree(payload, path("out/many.bin"));
}

TEST_F(SwarmTest, AllowedFastPiecesAreFetchedWhileChoked) {
  std::string payload = single_payload("fast.bin", 1'000'003);
  std::string torrent = make_torrent(payload, "", "64KiB");
  // A BEP 6 peer that never unchokes but allows every piece: the whole file
  // can only come through allowed-fast requests.
  auto peer = py_seeders(torrent, 1, "127.0.26.", {"--fast", "--allowed-fast", "1000", "--unchoke-delay", "100000"});
  auto r = download(torrent, {"--peer", "127.0.26.1:6881"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/fast.bin"));
}

TEST_F(SwarmTest, SnubbingPeerLosesItsRequestsToAnother) {
  std::string payload = single_payload("snub.bin", 4'000'000);
  std::string torrent = make_torrent(payload, "", "64KiB");
  // One peer answers three requests and then nothing (keeping the connection
  // alive); the blocks it sits on must come from the other, a slow one
  // (~3 s for the file), so the snub is noticed before end-game.
  auto staller = py_seeders(torrent, 1, "127.0.27.", {"--stall-after", "3"});
  auto honest = py_seeders(torrent, 1, "127.0.28.", {"--block-delay", "0.012"});
  auto r = download(torrent, {"--peer", "127.0.27.1:6881", "--peer", "127.0.28.1:6881", "--request-timeout", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = parse_events(r.out);
  EXPECT_GE(ev.last("finished")->getValue<int>("snubbed"), 1) << r.out;
  expect_same_tree(payload, path("out/snub.bin"));
}

TEST_F(SwarmTest, NoReachablePeerIsExitFiveAfterTheStallTimeout) {
  std::string payload = single_payload("none.bin", 100'000);
  std::string torrent = make_torrent(payload, "", "16KiB");
  auto r = run_process({FLUXO_BINARY, "download", torrent, "-o", path("out"), "--no-listen", "--peer", "127.0.19.1:9",
                        "--stall-timeout", "3", "-q"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("no peers"), std::string::npos) << r.err;
}

// A new file's space is reserved at the start (its size still 0, nothing in
// it reads as data); --sparse leaves it unreserved.
TEST_F(SwarmTest, ANewFilesSpaceIsReservedUnlessSparse) {
  std::string payload = single_payload("kept.bin", 300'000);
  std::string torrent = make_torrent(payload, "", "16KiB");
  auto blocks = [](const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return static_cast<std::int64_t>(st.st_blocks) * 512;
  };
  for (bool sparse : {false, true}) {
    const std::string out = path(sparse ? "sparse" : "reserved");
    std::vector<std::string> argv{FLUXO_BINARY, "download", torrent, "-o", out, "--no-listen",
                                  "--peer", "127.0.19.1:9", "--stall-timeout", "2", "-q"};
    if (sparse) argv.push_back("--sparse");
    auto r = run_process(argv);
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_EQ(std::filesystem::file_size(out + "/kept.bin"), 0u);
    if (sparse) {
      EXPECT_EQ(blocks(out + "/kept.bin"), 0);
    } else {
      EXPECT_GE(blocks(out + "/kept.bin"), 300'000);
    }
  }
}

// A tracker's failure reason is printed, with its control bytes escaped: no
// escape sequence from the network reaches the terminal.
TEST_F(SwarmTest, TrackerFailureReasonIsPrintedWithControlBytesEscaped) {
  const std::string reason = "\x1b[31mred\x07 \xc2\x9b" "2J \x1b]0;owned\x07";
  const std::string body = "d14:failure reason" + std::to_string(reason.size()) + ":" + reason + "e";
  BackgroundProcess tracker({kPython, kSrc + "/tests/interop/canned_tracker.py", "127.0.42.250", "6969",
                             to_hex({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()})},
                            path("tracker.log"));
  ASSERT_TRUE(tracker.wait_for_line("ready", 30s)) << read_file(path("tracker.log"));
  std::string torrent = make_torrent(single_payload("t.bin", 100'000), "http://127.0.42.250:6969/announce", "16KiB");
  auto r = run_process({FLUXO_BINARY, "download", torrent, "-o", path("out"), "--no-listen", "--stall-timeout", "3"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("tracker failure: \\x1b[31mred\\x07 \\xc2\\x9b2J \\x1b]0;owned\\x07"), std::string::npos)
      << r.err;
  for (unsigned char c : r.err) {
    EXPECT_TRUE((c >= 0x20 && c != 0x7f) || c == '\n') << "raw byte " << int{c} << " in " << r.err;
  }
  EXPECT_EQ(r.err.find("\xc2\x9b"), std::string::npos) << r.err;
}

class HttpsTrackerTest : public SwarmTest {
 protected:
  void SetUp() override {
    // ctest runs these in parallel: each test gets its own addresses.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    int octet = name.find("Refused") != std::string::npos ? 20 : name.find("Trusted") != std::string::npos ? 22 : 24;
    std::string tls_ip = "127.0." + std::to_string(octet) + ".250";
    std::string plain_ip = "127.0." + std::to_string(octet) + ".251";
    auto r = run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("key.pem"),
                          "-out", path("cert.pem"), "-days", "2", "-subj", "/CN=" + tls_ip,
                          "-addext", "subjectAltName=IP:" + tls_ip});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    tls_ip_ = tls_ip;
    payload_ = single_payload("tls.bin", 3'000'017);
    torrent_ = make_torrent(payload_, "https://" + tls_ip + ":6970/announce", "32KiB");
    tracker_ = std::make_unique<test::OpenTracker>(path("tracker"), plain_ip, 6969,
                                                   std::vector<std::string>{info_hash(torrent_)});
    proxy_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{kPython, kSrc + "/tests/interop/tls_proxy.py", tls_ip, "6970", plain_ip, "6969",
                                 path("cert.pem"), path("key.pem")},
        path("proxy.log"));
    ASSERT_TRUE(proxy_->wait_for_line("ready", 10s)) << test::read_file(path("proxy.log"));
    // The seeders announce over plain HTTP to the same tracker.
    std::string plain = make_torrent(payload_, "http://" + plain_ip + ":6969/announce", "32KiB");
    seeders_ = lt_seeders(plain, 2, "127.0." + std::to_string(octet + 1) + ".");
    ASSERT_TRUE(wait_for_tracker(plain_ip, 6969, info_hash(torrent_), 1));
  }
  std::string tls_ip_, payload_, torrent_;
  std::unique_ptr<test::OpenTracker> tracker_;
  std::unique_ptr<BackgroundProcess> proxy_, seeders_;
};

TEST_F(HttpsTrackerTest, SelfSignedCertificateIsRefusedByDefault) {
  auto r = download(torrent_, {"--stall-timeout", "5"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  auto ev = parse_events(r.out);
  auto err = ev.last("tracker_error");
  ASSERT_TRUE(err) << r.out;
  EXPECT_NE(err->getValue<std::string>("message").find(tls_ip_), std::string::npos);
  EXPECT_EQ(ev.count("tracker_ok"), 0);
}

TEST_F(HttpsTrackerTest, TrustedTestCaVerifiesAndDownloads) {
  auto r = download(torrent_, {"--tracker-ca", path("cert.pem")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(parse_events(r.out).count("tracker_ok"), 1);
  expect_same_tree(payload_, path("out/tls.bin"));
}

TEST_F(HttpsTrackerTest, InsecureOptionAcceptsTheSelfSignedCertificate) {
  auto r = download(torrent_, {"--insecure-tracker"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload_, path("out/tls.bin"));
}

}  // namespace
}  // namespace fluxo
