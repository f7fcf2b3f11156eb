// fluxo as a seeder, against real leechers on loopback: libtorrent (which
// verifies every piece it gets), aria2c through opentracker, fluxo itself in
// a swarm of several leechers, and a hostile leecher of the project's own
// (interop/hostile_peer.py). Each test has its own 127.x.y.z addresses.
#include <gtest/gtest.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;

class SeedTest : public SwarmTest {
 protected:
  // libtorrent's own downloader from the given peers; true when it finished.
  ProcessResult lt_leech(const std::string& torrent, const std::string& ip, const std::vector<std::string>& peers,
                         std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{kPython, kSrc + "/tools/lt_swarm.py", "leech", torrent, path("lt-out"),
                                  "--ip", ip, "--timeout", "120"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const auto& p : peers) argv.insert(argv.end(), {"--peer", p});
    return run_process(argv);
  }

  // interop/hostile_peer.py against `peer`; its output lines.
  ProcessResult hostile(const std::string& torrent, const std::string& peer, const std::string& bind,
                        const std::vector<std::string>& scenarios) {
    std::vector<std::string> argv{kPython, kSrc + "/tests/interop/hostile_peer.py", torrent, peer, "--bind", bind};
    argv.insert(argv.end(), scenarios.begin(), scenarios.end());
    return run_process(argv);
  }
};

const std::vector<std::string> kHostileScenarios{"oversized",       "zero-length", "past-end", "bad-index",
                                                 "choked-flood",    "cancel-flood", "keepalive-flood",
                                                 "ext-garbage",     "ext-huge"};


TEST_F(SeedTest, LibtorrentLeechesFromAFluxoSeederByAddress) {
  std::string payload = multi_payload("multi");
  std::string torrent = make_torrent(payload, "", "32KiB");
  // Limited, so the connection lasts long enough for libtorrent to be asked
  // about its peer (two seeds part as soon as the download completes).
  auto seeder = fluxo_seeder(torrent, "127.0.30.1", 7201, {"--upload-limit", "4MiB"});
  auto r = lt_leech(torrent, "127.0.30.2", {"127.0.30.1:7201"}, {"--clients"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << "seeder:\n" << seeder->output();
  expect_same_tree(payload, path("lt-out/multi"));
  // libtorrent read fluxo's extended handshake (BEP 10): it names the client
  // by its 'v' (from the peer id alone it would not know "fluxo").
  auto report = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  auto clients = report->getObject("clients");
  ASSERT_TRUE(clients && clients->has("127.0.30.1:7201")) << r.out;
  EXPECT_EQ(clients->getValue<std::string>("127.0.30.1:7201"), std::string("fluxo/") + FLUXO_VERSION) << r.out;
  // The README's thread budget: about one thread per connection, not one
  // per slot of the 200-peer limit (oneTBB starts a worker per arena slot
  // under a limit that high: ~230 threads here before the limit in force
  // followed the connections).
  unsigned threads = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(seeder->pid()) + "/task")) {
    ++threads;
  }
  // Beyond the connection: the hashing threads (one per core, twice), the
  // spare workers and fluxo's own (listener, announcer, pipeline driver).
  const unsigned bound = 24 + 2 * std::thread::hardware_concurrency();
  EXPECT_LE(threads, bound) << "a seeder that served one peer runs " << threads << " threads";
}

// BEP 9: a libtorrent leecher given only a magnet link and fluxo's address
// fetches the info dictionary from fluxo (ut_metadata), checks it against
// the info-hash, then the data. A private torrent's metadata is not served.
TEST_F(SeedTest, ALibtorrentMagnetLeecherGetsTheMetadataFromAFluxoSeeder) {
  std::string payload = multi_payload("multi");
  std::string torrent = make_torrent(payload, "", "32KiB");
  auto seeder = fluxo_seeder(torrent, "127.0.30.5", 7205);
  const std::string magnet = "magnet:?xt=urn:btih:" + info_hash(torrent) + "&dn=multi";
  auto r = lt_leech(magnet, "127.0.30.6", {"127.0.30.5:7205"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << "seeder:\n" << seeder->output();
  expect_same_tree(payload, path("lt-out/multi"));

  std::string secret = make_torrent(single_payload("secret.bin", 300'001), "", "32KiB", {"--private"});
  auto private_seeder = fluxo_seeder(secret, "127.0.30.7", 7207);
  auto refused = run_process({kPython, kSrc + "/tools/lt_swarm.py", "leech",
                              "magnet:?xt=urn:btih:" + info_hash(secret), path("lt-secret"), "--ip", "127.0.30.8",
                              "--peer", "127.0.30.7:7207", "--timeout", "5"});
  EXPECT_NE(refused.exit_code, 0) << "a private torrent's metadata was served";
  EXPECT_FALSE(std::filesystem::exists(path("lt-secret/secret.bin")));
}

TEST_F(SeedTest, Aria2cAndLibtorrentLeechFromAFluxoSeederFoundThroughOpentracker) {
  std::string payload = single_payload("aria.bin", 7'000'003);
  std::string url = "http://127.0.31.250:6969/announce";
  std::string torrent = make_torrent(payload, url, "64KiB");
  OpenTracker tracker(path("tracker"), "127.0.31.250", 6969, {info_hash(torrent)});
  // The seeder announces from its listen address, so the tracker lists it there.
  auto seeder = fluxo_seeder(torrent, "127.0.31.1", 7202);
  ASSERT_TRUE(wait_for_tracker("127.0.31.250", 6969, info_hash(torrent), 1));
  // aria2c listens on 6881-6999 of every address unless told otherwise,
  // which would take the port from tests running beside this one.
  auto r = run_process({"aria2c", "-d", path("aria-out"), "--listen-port=7102", "--seed-time=0", "--enable-dht=false",
                        "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                        "--file-allocation=none", "--summary-interval=0", "--console-log-level=error",
                        "--bt-stop-timeout=60", "-q", torrent});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << "seeder:\n" << seeder->output();
  expect_same_tree(payload, path("aria-out/aria.bin"));
  // libtorrent too, with no address but the tracker's.
  auto lt = lt_leech(torrent, "127.0.31.2", {});
  ASSERT_EQ(lt.exit_code, 0) << lt.out << lt.err << "seeder:\n" << seeder->output();
  expect_same_tree(payload, path("lt-out/aria.bin"));
}

TEST_F(SeedTest, FluxoLeechersTradePiecesWithEachOther) {
  std::string payload = single_payload("swarm.bin", 24'000'000);
  std::string torrent = make_torrent(payload, "", "64KiB");
  // A slow seeder (8 MiB/s) with one regular upload slot plus the optimistic
  // one: with three leechers, one starts with nothing from the seeder, and
  // all finish sooner by trading.
  auto seeder = fluxo_seeder(torrent, "127.0.32.1", 7203, {"--upload-slots", "1", "--upload-limit", "8MiB"});
  const std::vector<std::string> ips{"127.0.32.2", "127.0.32.3", "127.0.32.4"};
  std::vector<ProcessResult> results(ips.size());
  std::vector<std::thread> leechers;
  for (std::size_t i = 0; i < ips.size(); ++i) {
    leechers.emplace_back([&, i] {
      std::vector<std::string> argv{FLUXO_BINARY, "download", torrent, "-o", path("out-" + std::to_string(i)),
                                    "--json", "--listen", ips[i], "--port", "7203", "--peer", "127.0.32.1:7203",
                                    "--stall-timeout", "60"};
      for (std::size_t j = 0; j < ips.size(); ++j) {
        if (j != i) argv.insert(argv.end(), {"--peer", ips[j] + ":7203"});
      }
      results[i] = run_process(argv);
    });
  }
  for (auto& t : leechers) t.join();
  std::uint64_t traded = 0;
  for (std::size_t i = 0; i < ips.size(); ++i) {
    ASSERT_EQ(results[i].exit_code, 0) << results[i].out << results[i].err;
    expect_same_tree(payload, path("out-" + std::to_string(i) + "/swarm.bin"));
    traded += parse_events(results[i].out).last("finished")->getValue<std::uint64_t>("uploaded_bytes");
  }
  // Bytes a leecher uploaded went to another leecher: the seeder is the only
  // other peer, and it never asks.
  EXPECT_GT(traded, 0u);
}

TEST_F(SeedTest, HostileLeechersAreDroppedWhileAnHonestOneDownloads) {
  std::string payload = single_payload("hostile.bin", 20'000'000);
  std::string torrent = make_torrent(payload, "", "32KiB");
  auto seeder = fluxo_seeder(torrent, "127.0.33.1", 7204);
  std::thread honest_thread;
  ProcessResult honest;
  honest_thread = std::thread([&] { honest = lt_leech(torrent, "127.0.33.2", {"127.0.33.1:7204"}); });
  auto attack = hostile(torrent, "127.0.33.1:7204", "127.0.33.3", kHostileScenarios);
  honest_thread.join();
  EXPECT_EQ(attack.exit_code, 0) << attack.err;
  for (const auto& sc : kHostileScenarios) EXPECT_EQ(scenario_outcome(attack.out, sc), "closed") << attack.out;
  ASSERT_EQ(honest.exit_code, 0) << honest.out << honest.err << "seeder:\n" << seeder->output();
  expect_same_tree(payload, path("lt-out/hostile.bin"));
}

// A flood of ut_metadata requests for the one metadata piece: each piece is
// served a few times per connection (kMetadataRequestsPerPiece), every
// request past that is rejected, and the seeder still serves.
TEST_F(SeedTest, AMetadataRequestFloodIsAnsweredWithinItsBudget) {
  std::string payload = single_payload("mflood.bin", 3'000'000);
  std::string torrent = make_torrent(payload, "", "32KiB");
  auto seeder = fluxo_seeder(torrent, "127.0.76.1", 7293);
  auto attack = hostile(torrent, "127.0.76.1:7293", "127.0.76.3", {"metadata-flood"});
  EXPECT_EQ(attack.exit_code, 0) << attack.err;
  EXPECT_EQ(scenario_outcome(attack.out, "metadata-flood"), "data=4 rejects=4996") << attack.out;
  auto honest = lt_leech(torrent, "127.0.76.2", {"127.0.76.1:7293"});
  ASSERT_EQ(honest.exit_code, 0) << honest.out << honest.err;
  expect_same_tree(payload, path("lt-out/mflood.bin"));
}

// "closed" must mean that a seeder dropped us after the attack: not that
// nobody was listening, nor that the connection ended before the handshake.
TEST_F(SeedTest, HostilePeerCountsOnlyADropAfterTheAttackAsClosed) {
  std::string torrent = make_torrent(single_payload("h.bin", 100'000), "", "16KiB");
  auto nobody = hostile(torrent, "127.0.41.1:7298", "127.0.41.2", kHostileScenarios);
  EXPECT_EQ(nobody.exit_code, 0) << nobody.err;
  for (const auto& sc : kHostileScenarios) {
    EXPECT_EQ(scenario_outcome(nobody.out, sc).rfind("unreachable", 0), 0u) << nobody.out;
  }
  // A listener that hangs up on every connection at once.
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.41.1", 7298));
  std::atomic<bool> done{false};
  std::thread hang_up([&] {
    while (!done.load()) {
      if (!listener.poll(Poco::Timespan(0, 100'000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket s = listener.acceptConnection();
      s.close();
    }
  });
  auto dropped = hostile(torrent, "127.0.41.1:7298", "127.0.41.2", kHostileScenarios);
  done.store(true);
  hang_up.join();
  EXPECT_EQ(dropped.exit_code, 0) << dropped.err;
  for (const auto& sc : kHostileScenarios) EXPECT_EQ(scenario_outcome(dropped.out, sc), "handshake-failed") << dropped.out;
}

TEST_F(SeedTest, SeedRefusesDataThatDoesNotVerify) {
  std::string payload = single_payload("bad.bin", 1'000'000);
  std::string torrent = make_torrent(payload, "", "16KiB");
  write_random_file(payload, 1'000'000, 7);  // other bytes, same size
  auto r = run_process({FLUXO_BINARY, "seed", torrent, "-d", path("data"), "--listen", "127.0.34.1", "--port",
                        "7205"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("verifies"), std::string::npos) << r.err;
}

TEST_F(SeedTest, BenchRunsAWholeSwarmAndChecksEveryByte) {
  auto r = run_process({FLUXO_BINARY, "bench", "--size", "24MiB", "--files", "3", "--seeders", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = parse_events(r.out);
  ASSERT_EQ(ev.events.size(), 1u) << r.out;
  const auto& o = ev.events[0];
  EXPECT_TRUE(o->getValue<bool>("ok"));
  EXPECT_EQ(o->getValue<std::int64_t>("bytes"), 24 << 20);
  EXPECT_GT(o->getValue<double>("mib_per_s"), 0);
  EXPECT_GT(o->getValue<double>("peak_rss_mib"), 0);
  // It cleans up after itself.
  EXPECT_FALSE(std::filesystem::exists(o->getValue<std::string>("directory")));
}

TEST_F(SeedTest, BenchWithManyTorrentsFetchesThemAllInOneProcess) {
  // Its own port: the other bench test may run at the same time.
  auto r = run_process({FLUXO_BINARY, "bench", "--size", "12MiB", "--torrents", "12", "--files", "2", "--seeders",
                        "2", "--port", "6991", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = parse_events(r.out);
  ASSERT_EQ(ev.events.size(), 1u) << r.out;
  const auto& o = ev.events[0];
  EXPECT_TRUE(o->getValue<bool>("ok"));
  EXPECT_EQ(o->getValue<int>("torrents"), 12);
  EXPECT_EQ(o->getValue<std::int64_t>("bytes"), 12 << 20);
  EXPECT_FALSE(std::filesystem::exists(o->getValue<std::string>("directory")));
  EXPECT_EQ(run_process({FLUXO_BINARY, "bench", "--size", "10", "--torrents", "6", "--files", "2"}).exit_code, 2);
}

TEST_F(SeedTest, SquattersHoldNoSlotAnHonestLeecherNeeds) {
  std::string payload = single_payload("squat.bin", 5'000'011);
  std::string torrent = make_torrent(payload, "", "64KiB");
  auto seeder = fluxo_seeder(torrent, "127.0.54.1", 7221, {"--max-peers", "20"});
  // 50 peers that shake hands and then only send keep-alives take every
  // slot (and the probation ones, until their probation runs out).
  auto squatters = py_seeders(torrent, 50, "127.0.55.", {"--squat", "--connect", "127.0.54.1:7221"});
  std::string out;
  int seen_full = 0, settled = 0;
  for (int i = 0; i < 300 && !settled; ++i) {
    out = seeder->output();
    for (const auto& e : parse_events(out).events) {
      if (e->getValue<std::string>("event") != "progress") continue;
      int n = e->getValue<int>("peers_connected");
      if (n >= 20) seen_full = 1;
      if (seen_full && n <= 20) settled = n;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(settled, 20) << out;
  auto r = lt_leech(torrent, "127.0.54.2", {"127.0.54.1:7221"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << "seeder:\n" << seeder->output();
  expect_same_tree(payload, path("lt-out/squat.bin"));
}

}  // namespace
}  // namespace fluxo
