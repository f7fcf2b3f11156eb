// Protocol encryption (MSE/PE) against real peers on loopback, both ways:
// libtorrent seeders and leechers that force it (RC4 only) or use their
// defaults, aria2c requiring it as seeder and as leecher, fluxo to fluxo
// with `require`, and an attacker's initiator (interop/mse_peer.py: a
// stalled handshake, a bad verification constant, an oversized pad, no
// sync marker, an unknown torrent) that a fluxo seeder must drop, within
// its handshake timeout, while it goes on serving. Each test on addresses
// of its own (127.8.N.x).
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;

class EncryptionTest : public SwarmTest {
 protected:
  // libtorrent's downloader into `dir`, asked about its peers (--clients).
  ProcessResult lt_leech(const std::string& torrent, const std::string& dir, const std::string& ip,
                         const std::string& peer, const std::string& encryption) {
    return run_process({kPython, kSrc + "/tools/lt_swarm.py", "leech", torrent, path(dir), "--ip", ip, "--timeout",
                        "120", "--peer", peer, "--clients", "--encryption", encryption});
  }
  // How libtorrent's report says its connection to `peer` was encrypted.
  static std::string lt_encryption(const ProcessResult& r, const std::string& peer) {
    auto report = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
    auto enc = report->getObject("encryption");
    return enc && enc->has(peer) ? enc->getValue<std::string>(peer) : "(not seen)";
  }
  // Connections over MSE ("encrypted"), or those with RC4 throughout
  // ("encrypted_rc4"), from the JSON summary.
  static int encrypted(const ProcessResult& r, const char* key = "encrypted") {
    auto fin = parse_events(r.out).last("finished");
    return fin && fin->has(key) ? fin->getValue<int>(key) : -1;
  }
  ProcessResult mse_peer(const std::string& torrent, const std::string& peer, const std::string& bind,
                         std::vector<std::string> scenarios, const std::string& provide = "2") {
    std::vector<std::string> argv{kPython,       kSrc + "/tests/interop/mse_peer.py", info_hash(torrent), peer,
                                  "--bind",      bind,
                                  "--provide",   provide};
    argv.insert(argv.end(), scenarios.begin(), scenarios.end());
    return run_process(argv);
  }
};


// "closed 0.03": how long after our last byte the seeder hung up (-1: it did not).
double closed_after(const std::string& o) { return o.rfind("closed ", 0) == 0 ? std::stod(o.substr(7)) : -1; }

// libtorrent seeders that accept nothing but RC4: fluxo's default reaches
// them; with encryption off it cannot (so they really refuse plain).
TEST_F(EncryptionTest, LibtorrentSeedersThatForceRc4ServeFluxoByDefault) {
  std::string payload = single_payload("forced.bin", 6'000'037);
  std::string torrent = make_torrent(payload, "", "64KiB");
  auto seeders = lt_seeders(torrent, 2, "127.8.1.", {"--encryption", "forced"});
  auto off = download(torrent, {"--peer", "127.8.1.1:6881", "--peer", "127.8.1.2:6881", "--no-trackers",
                                "--encryption", "off", "--stall-timeout", "4"});
  EXPECT_NE(off.exit_code, 0) << off.out << off.err;
  auto r = download(torrent, {"--peer", "127.8.1.1:6881", "--peer", "127.8.1.2:6881", "--no-trackers"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/forced.bin"));
  EXPECT_GE(encrypted(r, "encrypted_rc4"), 1) << r.out;  // they allow nothing else
}

// A fluxo seeder (default policy) and libtorrent leechers: one that forces
// RC4 gets RC4; one with libtorrent's defaults opens with an encrypted
// handshake and keeps that connection (no plain retry after a delay): the
// payload is plain after it, as prefer selects.
TEST_F(EncryptionTest, LibtorrentLeechersForcedAndDefaultGetEncryptedConnectionsAtOnce) {
  std::string payload = single_payload("leech.bin", 5'000'011);
  std::string torrent = make_torrent(payload, "", "64KiB");
  // Limited, so each connection lasts long enough to be looked at.
  auto seeder = fluxo_seeder(torrent, "127.8.2.1", 7401, {"--upload-limit", "3MiB"});
  auto forced = lt_leech(torrent, "lt-forced", "127.8.2.2", "127.8.2.1:7401", "forced");
  ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err << seeder->output();
  expect_same_tree(payload, path("lt-forced/leech.bin"));
  EXPECT_EQ(lt_encryption(forced, "127.8.2.1:7401"), "rc4") << forced.out;
  auto plain_default = lt_leech(torrent, "lt-default", "127.8.2.3", "127.8.2.1:7401", "default");
  ASSERT_EQ(plain_default.exit_code, 0) << plain_default.out << plain_default.err;
  expect_same_tree(payload, path("lt-default/leech.bin"));
  EXPECT_EQ(lt_encryption(plain_default, "127.8.2.1:7401"), "plaintext") << plain_default.out;
}

// aria2c requiring RC4, as a seeder (fluxo downloads from it) and as a
// leecher (through opentracker, since aria2c takes no peer address).
TEST_F(EncryptionTest, Aria2RequiringRc4AsSeederAndAsLeecher) {
  std::string payload = single_payload("aria-enc.bin", 4'000'037);
  const std::string url = "http://127.8.3.250:6969/announce";
  std::string torrent = make_torrent(payload, url, "64KiB");
  const std::vector<std::string> crypto{"--bt-require-crypto=true", "--bt-min-crypto-level=arc4",
                                        "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                                        "--enable-peer-exchange=false", "--summary-interval=0",
                                        "--enable-color=false"};
  {
    std::vector<std::string> argv{"aria2c", "--dir=" + path("data"), "--seed-ratio=0.0", "--seed-time=10",
                                  "--bt-seed-unverified=true", "--check-integrity=false", "--listen-port=7402",
                                  "--console-log-level=warn", "--bt-detach-seed-only=false", "--bt-tracker-interval=3600",
                                  "--bt-exclude-tracker=*"};
    argv.insert(argv.end(), crypto.begin(), crypto.end());
    argv.push_back(torrent);
    BackgroundProcess aria(argv, path("aria2-seed.log"));
    ASSERT_TRUE(wait_for_port("127.0.0.1", 7402)) << read_file(path("aria2-seed.log"));
    auto off = download(torrent, {"--peer", "127.0.0.1:7402", "--no-trackers", "--encryption", "off",
                                  "--stall-timeout", "4"});
    EXPECT_NE(off.exit_code, 0) << off.out << off.err;  // it really refuses plain
    std::filesystem::remove_all(path("out"));
    auto r = download(torrent, {"--peer", "127.0.0.1:7402", "--no-trackers"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << read_file(path("aria2-seed.log"));
    expect_same_tree(payload, path("out/aria-enc.bin"));
    EXPECT_GE(encrypted(r, "encrypted_rc4"), 1) << r.out;
  }
  OpenTracker tracker(path("tracker"), "127.8.3.250", 6969, {info_hash(torrent)});
  auto seeder = fluxo_seeder(torrent, "127.8.3.1", 7403);
  ASSERT_TRUE(wait_for_tracker("127.8.3.250", 6969, info_hash(torrent), 1));
  std::vector<std::string> argv{"aria2c", "-d", path("aria-out"), "--listen-port=7404", "--seed-time=0",
                                "--file-allocation=none", "--console-log-level=error", "--bt-stop-timeout=60", "-q"};
  argv.insert(argv.end(), crypto.begin(), crypto.end());
  argv.push_back(torrent);
  auto leech = run_process(argv);
  ASSERT_EQ(leech.exit_code, 0) << leech.out << leech.err << "seeder:\n" << seeder->output();
  expect_same_tree(payload, path("aria-out/aria-enc.bin"));
}

// fluxo to fluxo with `require` both sides: RC4 throughout. A plain-only
// fluxo gets nothing from that seeder, and an initiator offering only
// plaintext is dropped.
TEST_F(EncryptionTest, FluxoToFluxoRequireAndPlainPeersRefused) {
  std::string payload = single_payload("req.bin", 3'000'017);
  std::string torrent = make_torrent(payload, "", "32KiB");
  auto seeder = fluxo_seeder(torrent, "127.8.4.1", 7405, {"--encryption", "require"});
  auto off = download(torrent, {"--peer", "127.8.4.1:7405", "--no-trackers", "--encryption", "off",
                                "--stall-timeout", "4"});
  EXPECT_NE(off.exit_code, 0) << off.out << off.err;
  auto probe = mse_peer(torrent, "127.8.4.1:7405", "127.8.4.3", {"no-rc4", "honest"});
  EXPECT_GE(closed_after(scenario_outcome(probe.out, "no-rc4")), 0) << probe.out << probe.err;
  EXPECT_EQ(scenario_outcome(probe.out, "honest"), "ok rc4") << probe.out << probe.err;
  std::filesystem::remove_all(path("out"));
  auto r = download(torrent, {"--peer", "127.8.4.1:7405", "--no-trackers", "--encryption", "require"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << seeder->output();
  expect_same_tree(payload, path("out/req.bin"));
  EXPECT_GE(encrypted(r), 1) << r.out;
  EXPECT_EQ(encrypted(r, "encrypted_rc4"), encrypted(r)) << r.out;  // RC4 on every one
}

// The attacker's initiator against a fluxo seeder: each broken handshake is
// dropped (the stalled one at the handshake timeout, 10 s, the others at
// once), an honest one of either method gets the seeder's handshake back,
// and libtorrent still downloads everything afterwards.
TEST_F(EncryptionTest, BrokenEncryptedHandshakesAreDroppedAndTheSeederGoesOn) {
  std::string payload = single_payload("hostile.bin", 2'000'003);
  std::string torrent = make_torrent(payload, "", "32KiB");
  auto seeder = fluxo_seeder(torrent, "127.8.5.1", 7406);
  auto r = mse_peer(torrent, "127.8.5.1:7406", "127.8.5.2", {"bad-vc", "big-pad", "no-sync", "unknown", "stall"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* sc : {"bad-vc", "big-pad", "no-sync", "unknown"}) {
    const double t = closed_after(scenario_outcome(r.out, sc));
    EXPECT_GE(t, 0) << sc << ": " << r.out;
    EXPECT_LT(t, 5) << sc << ": " << r.out;  // at once, not at a timeout
  }
  const double stalled = closed_after(scenario_outcome(r.out, "stall"));
  EXPECT_GE(stalled, 0) << r.out;
  EXPECT_LT(stalled, 14) << r.out;  // the handshake timeout (10 s) and a poll, not never
  auto honest = mse_peer(torrent, "127.8.5.1:7406", "127.8.5.3", {"honest"}, "3");
  EXPECT_EQ(scenario_outcome(honest.out, "honest"), "ok plaintext") << honest.out << honest.err;
  auto rc4 = mse_peer(torrent, "127.8.5.1:7406", "127.8.5.3", {"honest"}, "2");
  EXPECT_EQ(scenario_outcome(rc4.out, "honest"), "ok rc4") << rc4.out << rc4.err;
  auto lt = lt_leech(torrent, "lt-out", "127.8.5.4", "127.8.5.1:7406", "forced");
  ASSERT_EQ(lt.exit_code, 0) << lt.out << lt.err << seeder->output();
  expect_same_tree(payload, path("lt-out/hostile.bin"));
}

}  // namespace
}  // namespace fluxo
