// The attacker's tests, against the fluxo binary on loopback: liars beside a
// single honest libtorrent seeder, a liar that keeps reconnecting to the
// downloader under new ports, a peer that rejects everything, connection
// squatters, a borrowed peer id, and more peers than oneTBB's default
// worker cap after a recheck. Each test has its own 127.x addresses.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <regex>

#include "core/bencode_value.h"
#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;

// A number printed by py_peer.py at exit ("requests 12").
long stat_of(const std::string& log, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex(name + " (\\d+)"))) return -1;
  return std::stol(m[1]);
}

TEST_F(SwarmTest, LiarsNeverCostTheOneHonestSeeder) {
  std::string payload = single_payload("liars.bin", 8'000'009);
  std::string torrent = make_torrent(payload, "", "64KiB");
  auto honest = lt_seeders(torrent, 1, "127.0.40.");
  // Three answer every request with random bytes, two push garbage nobody
  // asked for, and one dials the downloader's listener, lies, and comes back
  // from a new port whenever it is dropped.
  auto liars = py_seeders(torrent, 3, "127.0.41.", {"--random-data", "--fast"});
  auto pushers = py_seeders(torrent, 2, "127.0.42.", {"--push", "4"});
  const std::string me = own_ip();
  auto returning = py_seeders(torrent, 1, "127.0.43.",
                              {"--random-data", "--fast", "--connect", me + ":6881", "--reconnect"});
  auto r = download(torrent, {"--listen", me, "--port", "6881", "--peer", "127.0.40.1:6881", "--peer",
                              "127.0.41.1:6881", "--peer", "127.0.41.2:6881", "--peer", "127.0.41.3:6881", "--peer",
                              "127.0.42.1:6881", "--peer", "127.0.42.2:6881"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/liars.bin"));
  auto ev = parse_events(r.out);
  for (const auto& e : ev.events) {
    if (e->getValue<std::string>("event") != "peer_banned") continue;
    std::string who = e->getValue<std::string>("message");
    // (A pusher may be banned: garbage that happens to match a block we did
    // ask it for is a lie like any other.)
    EXPECT_EQ(who.find("127.0.40.1"), std::string::npos) << "the honest seeder was banned: " << r.out;
  }
  // A liar is banned by the first piece that proves it lied. How many
  // pieces it spoiled by then is not asserted: that grows with how far the
  // hashing lags the socket on a loaded machine (46 of 123 seen once under
  // ctest -j2): a figure for benchmarks, not for a timed test. What is asserted holds at any speed: liars lied, and only liars
  // were banned (every ban names a liar's address).
  auto fin = ev.last("finished");
  ASSERT_TRUE(fin);
  EXPECT_GE(fin->getValue<int>("hash_failures"), 1) << r.out;
  EXPECT_GE(ev.count("peer_banned"), 1) << r.out;
  for (const auto& e : ev.events) {
    if (e->getValue<std::string>("event") != "peer_banned") continue;
    const std::string who = e->getValue<std::string>("message");
    EXPECT_TRUE(who.rfind("127.0.41.", 0) == 0 || who.rfind("127.0.42.", 0) == 0 || who.rfind("127.0.43.", 0) == 0)
        << who;
  }
}

TEST_F(SwarmTest, APeerThatRejectsEverythingIsAskedABoundedNumberOfTimes) {
  std::string payload = single_payload("reject.bin", 4'000'037);
  std::string torrent = make_torrent(payload, "", "32KiB");
  auto rejecter = py_seeders(torrent, 1, "127.0.45.", {"--fast", "--reject-all"});
  auto honest = py_seeders(torrent, 1, "127.0.46.", {"--block-delay", "0.002"});
  auto r = download(torrent, {"--peer", "127.0.45.1:6881", "--peer", "127.0.46.1:6881"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/reject.bin"));
  rejecter.reset();  // it reports what it was asked at exit
  const std::string log = read_file(py_log("127.0.45."));
  long asked = stat_of(log, "requests");
  ASSERT_GE(asked, 1) << log;
  // Each block at most once, and the connection goes after a few hundred
  // rejects in a row (it used to be 181,209 round trips in 3 s).
  EXPECT_LE(asked, 300) << log;
}

TEST_F(SwarmTest, SquattersDoNotCountAsActivityForTheStallTimeout) {
  std::string payload = single_payload("squat.bin", 1'000'000);
  std::string torrent = make_torrent(payload, "", "32KiB");
  auto squatters = py_seeders(torrent, 4, "127.0.47.", {"--squat"});
  auto start = std::chrono::steady_clock::now();
  auto r = download(torrent, {"--peer", "127.0.47.1:6881", "--peer", "127.0.47.2:6881", "--peer", "127.0.47.3:6881",
                              "--peer", "127.0.47.4:6881", "--stall-timeout", "3"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_LT(took, 30s);  // keep-alives every 20 s would otherwise keep it alive for ever
}

TEST_F(SwarmTest, ABorrowedPeerIdDoesNotPushTheRealPeerOut) {
  std::string payload = single_payload("borrow.bin", 3'000'017);
  std::string torrent = make_torrent(payload, "", "32KiB");
  // The real peer's id sorts below ours ("-AA" < "-FX"), so under the
  // crossed-connection rule a connection *to us* with that id would win.
  const std::string id = "-AA0000-000000000000";
  auto real = py_seeders(torrent, 1, "127.0.48.", {"--peer-id=" + id, "--block-delay", "0.004"});
  const std::string me = own_ip();
  auto thief = py_seeders(torrent, 3, "127.0.49.",
                          {"--peer-id=" + id, "--squat", "--connect", me + ":6881", "--reconnect"});
  auto r = download(torrent, {"--listen", me, "--port", "6881", "--peer", "127.0.48.1:6881"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/borrow.bin"));
  real.reset();
  // One connection did it all: it was never dropped for the thieves.
  const std::string log = read_file(py_log("127.0.48."));
  EXPECT_EQ(stat_of(log, "accepted"), 1) << log;
}

TEST_F(SwarmTest, MorePeersThanTheDefaultWorkerCapAfterARecheckAllRun) {
  std::string payload = single_payload("three.bin", 12'000'000);
  std::string torrent = make_torrent(payload, "", "32KiB");
  // Some data is there already, so a recheck (oneTBB's first use) runs first.
  {
    std::string data = read_file(payload);
    std::filesystem::create_directories(path("out"));
    std::ofstream(path("out/three.bin"), std::ios::binary).write(data.data(), 2'000'000);
  }
  auto a = py_seeders(torrent, 150, "127.0.50.", {"--unchoke-delay", "4"});
  auto b = py_seeders(torrent, 150, "127.0.51.", {"--unchoke-delay", "4"});
  std::vector<std::string> args{"--max-peers", "300"};
  for (const char* base : {"127.0.50.", "127.0.51."}) {
    for (int i = 1; i <= 150; ++i) {
      args.push_back("--peer");
      args.push_back(base + std::to_string(i) + ":6881");
    }
  }
  auto r = download(torrent, args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = parse_events(r.out);
  ASSERT_TRUE(ev.last("resume")) << r.out;  // the recheck ran
  EXPECT_GE(ev.max_int("progress", "peers_connected"), 290) << r.out;
  expect_same_tree(payload, path("out/three.bin"));
}

class DribblingTrackerTest : public SwarmTest {
 protected:
  // A torrent whose first tier is a tracker that answers one byte every
  // 2 s (forever), and whose second is a real opentracker with a seeder.
  void SetUp() override {
    // Each test of the fixture on addresses of its own (ctest runs them at once).
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const int octet = name.rfind("TheNextTier", 0) == 0 ? 56 : 86;
    net_ = "127.0." + std::to_string(octet) + ".";
    const std::string tracker_ip = net_ + "250", dribble_ip = net_ + "251";
    payload_ = single_payload("dribble.bin", 6'000'011);
    std::string torrent = make_torrent(payload_, "http://" + tracker_ip + ":6969/announce", "64KiB");
    tracker_ = std::make_unique<OpenTracker>(path("tracker"), tracker_ip, 6969,
                                             std::vector<std::string>{info_hash(torrent)});
    seeders_ = lt_seeders(torrent, 1, "127.0." + std::to_string(octet + 1) + ".");
    ASSERT_TRUE(wait_for_tracker(tracker_ip, 6969, info_hash(torrent), 1));
    dribbler_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{kPython, kSrc + "/tests/interop/dribble_tracker.py", dribble_ip, "6969", "dribble"},
        path("dribble.log"));
    ASSERT_TRUE(dribbler_->wait_for_line("ready", 10s)) << read_file(path("dribble.log"));
    auto r = run_process({FLUXO_BINARY, "create", payload_, "-o", path("tiers.torrent"), "--piece-size", "64KiB", "-q",
                          "-t", "http://" + dribble_ip + ":6969/announce", "-t", "http://" + tracker_ip + ":6969/announce"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    torrent_ = path("tiers.torrent");
  }
  std::string net_, payload_, torrent_;
  std::unique_ptr<OpenTracker> tracker_;
  std::unique_ptr<BackgroundProcess> seeders_, dribbler_;
};

TEST_F(DribblingTrackerTest, TheNextTierIsTriedAfterTheDeadlineAndExitFollowsCompletion) {
  auto start = std::chrono::steady_clock::now();
  auto r = download(torrent_, {"--tracker-timeout", "2"});
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload_, path("out/dribble.bin"));
  auto ev = parse_events(r.out);
  auto err = ev.last("tracker_error");
  ASSERT_TRUE(err) << r.out;
  EXPECT_NE(err->getValue<std::string>("message").find("timed out"), std::string::npos) << r.out;
  // Done when the data is: the process ends within a couple of seconds of
  // the last piece (the 'stopped' announce has one second).
  double done = ev.last("finished")->getValue<double>("seconds");
  EXPECT_LT(wall - done, 2.5) << "finished at " << done << " s, exited at " << wall << " s\n" << r.out;
}

TEST_F(DribblingTrackerTest, SigtermWhileAnnouncingEndsTheProcessWithinTwoSeconds) {
  // Only the dribbling tier, and no peer: fluxo sits in the announce.
  auto r0 = run_process({FLUXO_BINARY, "create", payload_, "-o", path("only.torrent"), "--piece-size", "64KiB", "-q",
                         "-t", "http://" + net_ + "251:6969/announce"});
  ASSERT_EQ(r0.exit_code, 0) << r0.err;
  BackgroundProcess dl({FLUXO_BINARY, "download", path("only.torrent"), "-o", path("out2"), "--json", "--listen",
                        own_ip()},
                       path("dl.log"));
  ASSERT_TRUE(dl.wait_for_line("{\"event\":\"started\"", 20s)) << dl.output();
  // Once the tracker has begun its endless reply, fluxo is in the announce.
  ASSERT_TRUE(dribbler_->wait_for_line("answering", 20s)) << dl.output();
  auto t0 = std::chrono::steady_clock::now();
  int code = dl.stop(SIGTERM, 5s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(code, 130) << dl.output();
  EXPECT_LT(took, 2.0);
}

// SIGTERM in each state a run passes through ends it within two seconds.
class SigtermTest : public SwarmTest {
 protected:
  // Sends SIGTERM and returns the exit code, failing if it took 2 s or more.
  int terminate(BackgroundProcess& p) {
    auto t0 = std::chrono::steady_clock::now();
    int code = p.stop(SIGTERM, 10s);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(took, 2.0) << p.output();
    return code;
  }
  // Bytes the process has read so far (/proc/PID/io), to know a recheck is under way.
  static long long bytes_read(pid_t pid) {
    std::ifstream io("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    long long value = 0;
    while (io >> key >> value) {
      if (key == "rchar:") return value;
    }
    return 0;
  }
};

TEST_F(SigtermTest, WhileCheckingSeedingAndDownloading) {
  // Checking: a seed rechecking 16 GiB (sparse: it reads zeros, still piece by piece).
  {
    std::filesystem::create_directories(path("big"));
    std::ofstream(path("big/big.bin")).close();
    std::filesystem::resize_file(path("big/big.bin"), 16ll << 30);
    // A torrent of it whose hashes never match (written directly: hashing
    // 16 GiB to make it would only slow the test).
    std::string torrent = path("big.torrent");
    bencode::Value::Dict info{{"name", "big.bin"},
                              {"piece length", std::int64_t{16} << 20},
                              {"length", std::int64_t{16} << 30},
                              {"pieces", std::string(1024 * 20, 'x')}};
    write_file(torrent, bencode::encode(bencode::Value(bencode::Value::Dict{{"info", info}})));
    BackgroundProcess seed({FLUXO_BINARY, "seed", torrent, "-d", path("big"), "--listen", own_ip(), "--json",
                            "--hash-threads", "1"},
                           path("check.log"));
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (bytes_read(seed.pid()) < (64ll << 20) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_GE(bytes_read(seed.pid()), 64ll << 20) << read_file(path("check.log"));
    EXPECT_EQ(terminate(seed), 130) << read_file(path("check.log"));
  }
  // Seeding.
  std::string payload = single_payload("sig.bin", 6'000'000);
  std::string torrent = make_torrent(payload, "", "64KiB");
  {
    auto seeder = fluxo_seeder(torrent, "127.0.58.1", 7230);
    EXPECT_EQ(terminate(*seeder), 0);  // a signal is how seeding ends
  }
  // Downloading, from a slow peer.
  auto slow = py_seeders(torrent, 1, "127.0.59.", {"--block-delay", "0.02"});
  BackgroundProcess dl({FLUXO_BINARY, "download", torrent, "-o", path("out"), "--json", "--listen", own_ip(),
                        "--peer", "127.0.59.1:6881"},
                       path("dl.log"));
  ASSERT_TRUE(dl.wait_for_line("{\"event\":\"progress\"", 30s)) << dl.output();
  EXPECT_EQ(terminate(dl), 130);
}

}  // namespace
}  // namespace fluxo
