// Many torrents in one fluxo process, on loopback against real peers
// (opentracker, libtorrent): downloads from one swarm, the queue of
// --max-active, lists with bad lines, one listener serving several
// torrents, and handshakes for torrents the session does not have. Each test
// has its own 127.x addresses.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>
#include <thread>

#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;

class SessionTest : public SwarmTest {
 protected:
  // A file of random bytes of its own (seeded by its name) at data/<name>.
  std::string payload(const std::string& name, std::size_t size) {
    write_random_file(path("data/" + name), size, static_cast<unsigned>(std::hash<std::string>{}(name)));
    return path("data/" + name);
  }
  // Every torrent event of a --json run carries the torrent's info-hash and name.
  static void expect_events_name_their_torrent(const JsonEvents& ev, const std::set<std::string>& hashes) {
    for (const auto& e : ev.events) {
      const std::string kind = e->getValue<std::string>("event");
      if (kind == "summary" || kind == "listening" || (kind == "finished" && e->has("source"))) continue;
      if (kind == "peer_error" && !e->has("info_hash")) continue;  // the session's own (the listener)
      ASSERT_TRUE(e->has("info_hash") && e->has("name")) << kind;
      EXPECT_TRUE(hashes.count(e->getValue<std::string>("info_hash"))) << e->getValue<std::string>("info_hash");
    }
  }
};

TEST_F(SessionTest, ManyTorrentsFromOneTrackerSwarmWithAQueueOfTwo) {
  const std::string tracker_ip = "127.0.80.250";
  const std::string url = "http://" + tracker_ip + ":6969/announce";
  std::vector<std::string> payloads, torrents;
  std::set<std::string> hashes;
  for (int i = 0; i < 6; ++i) {
    std::string name = "part-" + std::to_string(i) + ".bin";
    payloads.push_back(i == 5 ? multi_payload("set") : payload(name, 1'000'000 + 700'001 * static_cast<std::size_t>(i)));
    torrents.push_back(make_torrent(payloads.back(), url, "32KiB"));
    hashes.insert(info_hash(torrents.back()));
  }
  test::OpenTracker tracker(path("tracker"), tracker_ip, 6969, {hashes.begin(), hashes.end()});
  std::vector<std::string> also;
  for (std::size_t i = 1; i < torrents.size(); ++i) also.insert(also.end(), {"--also", torrents[i]});
  auto seeders = lt_seeders(torrents[0], 3, "127.0.81.", also);
  for (const auto& h : hashes) ASSERT_TRUE(wait_for_tracker(tracker_ip, 6969, h, 1)) << h;

  std::vector<std::string> extra{torrents.begin() + 1, torrents.end()};
  // Listening on every address (a port no other test uses), so the address
  // the tracker lists us by is not one we can know before dialling it.
  extra.insert(extra.end(), {"--max-active", "2", "--listen", "0.0.0.0", "--port", "28461"});
  auto r = download(torrents[0], extra);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (int i = 0; i < 5; ++i) expect_same_tree(payloads[i], path("out/part-" + std::to_string(i) + ".bin"));
  expect_same_tree(payloads[5], path("out/set"));

  auto ev = parse_events(r.out);
  expect_events_name_their_torrent(ev, hashes);
  // The queue: torrents start in the order given, and never more than two
  // download at once (a torrent downloads from `started` to `completed`;
  // it is checked just before, which this run, with nothing on disk, does
  // not report).
  std::vector<std::string> started;
  std::set<std::string> active;
  std::size_t most = 0;
  for (const auto& e : ev.events) {
    const std::string kind = e->getValue<std::string>("event");
    if (kind == "started") {
      started.push_back(e->getValue<std::string>("info_hash"));
      active.insert(started.back());
      most = std::max(most, active.size());
    } else if (kind == "completed" || kind == "finished") {  // completed: its queue slot is free
      if (e->has("info_hash")) active.erase(e->getValue<std::string>("info_hash"));
    }
  }
  ASSERT_EQ(started.size(), torrents.size()) << r.out;
  // In order, but two that check at once may begin in either order.
  for (std::size_t i = 0; i < torrents.size(); ++i) {
    auto at = static_cast<std::size_t>(std::find(started.begin(), started.end(), info_hash(torrents[i])) - started.begin());
    EXPECT_LE(at, i + 1) << i << "\n" << r.out;
    EXPECT_GE(at + 1, i) << i << "\n" << r.out;
  }
  EXPECT_LE(most, 2u) << r.out;
  // The tracker lists us too. Once a torrent has dialled our own address,
  // no torrent that begins after it dials it again.
  const std::string own = ":28461";
  bool learned = false;
  std::set<std::string> begun_after;
  for (const auto& e : ev.events) {
    const std::string kind = e->getValue<std::string>("event");
    if (kind == "started" && learned) begun_after.insert(e->getValue<std::string>("info_hash"));
    if (kind != "peer_error" || !e->has("info_hash")) continue;
    const std::string msg = e->getValue<std::string>("message");
    if (msg.find("connected to ourselves") == std::string::npos) continue;
    const std::string addr = msg.substr(0, msg.find(": "));
    if (addr.size() < own.size() || addr.compare(addr.size() - own.size(), own.size(), own) != 0) continue;  // the incoming end
    EXPECT_EQ(begun_after.count(e->getValue<std::string>("info_hash")), 0u) << msg << "\n" << r.out;
    learned = true;
  }
  EXPECT_TRUE(learned) << r.out;  // the tracker did list us: the check above had something to check
  EXPECT_EQ(ev.count("finished"), 6);
  auto summary = ev.last("summary");
  ASSERT_TRUE(summary) << r.out;
  EXPECT_EQ(summary->getValue<int>("torrents"), 6);
  EXPECT_EQ(summary->getValue<int>("ok"), 6);
  EXPECT_EQ(summary->getValue<int>("failed"), 0);
  EXPECT_EQ(summary->getValue<int>("exit_code"), 0);
}

TEST_F(SessionTest, AListWithBadLinesReportsThemAndTheOthersGoOn) {
  std::string a = payload("list-a.bin", 2'000'003), b = payload("list-b.bin", 1'500'007);
  std::string ta = make_torrent(a, "", "32KiB"), tb = make_torrent(b, "", "32KiB");
  write_file(path("garbage.torrent"), "d4:info3:not a torrente");
  write_file(path("list.txt"), "# two good torrents and two bad lines\n\n" + ta + "\n" + path("missing.torrent") +
                                   "\n  " + path("garbage.torrent") + "  \n" + tb + "\n");
  auto seeders = lt_seeders(ta, 1, "127.0.82.", {"--also", tb});
  const std::vector<std::string> argv{FLUXO_BINARY, "download", "-i", path("list.txt"), "-o", path("out"), "--peer",
                                      "127.0.82.1:6881", "--no-trackers", "--listen", own_ip(), "--stall-timeout", "30"};
  auto json = argv;
  json.push_back("--json");
  auto r = run_process(json);
  // The worst failure decides: a file that cannot be read (4) is worse than
  // an invalid torrent (3).
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  expect_same_tree(a, path("out/list-a.bin"));
  expect_same_tree(b, path("out/list-b.bin"));
  auto ev = parse_events(r.out);
  std::map<std::string, Poco::JSON::Object::Ptr> failed_sources;
  int ok = 0;
  for (const auto& e : ev.events) {
    if (e->getValue<std::string>("event") != "finished") continue;
    if (e->has("source")) {
      EXPECT_FALSE(e->getValue<bool>("ok"));
      failed_sources[e->getValue<std::string>("source")] = e;
    } else {
      ok += e->getValue<bool>("ok") ? 1 : 0;
    }
  }
  EXPECT_EQ(ok, 2) << r.out;
  ASSERT_EQ(failed_sources.size(), 2u) << r.out;
  ASSERT_TRUE(failed_sources.count(path("missing.torrent"))) << r.out;
  ASSERT_TRUE(failed_sources.count(path("garbage.torrent"))) << r.out;
  EXPECT_FALSE(failed_sources[path("garbage.torrent")]->getValue<std::string>("error").empty());
  auto summary = ev.last("summary");
  ASSERT_TRUE(summary) << r.out;
  EXPECT_EQ(summary->getValue<int>("torrents"), 4);
  EXPECT_EQ(summary->getValue<int>("ok"), 2);
  EXPECT_EQ(summary->getValue<int>("failed"), 2);
  EXPECT_EQ(summary->getValue<int>("exit_code"), 4);

  // The same without --json: one line per torrent, the errors on stderr.
  std::filesystem::remove_all(path("out"));
  auto text = run_process(argv);
  EXPECT_EQ(text.exit_code, 4) << text.out << text.err;
  EXPECT_NE(text.out.find("downloaded list-a.bin: "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("downloaded list-b.bin: "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("failed " + path("missing.torrent")), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("4 torrents: 2 "), std::string::npos) << text.out;
  EXPECT_NE(text.err.find("missing.torrent"), std::string::npos) << text.err;
}

TEST_F(SessionTest, TwoTorrentsOfOneNameInOneDirectoryAreRefused) {
  // Same name, different contents: the second would take the first one's
  // file for a damaged copy of its own and overwrite it.
  std::string a = payload("same.bin", 700'001);
  std::string ta = make_torrent(a, "", "32KiB");
  write_random_file(path("other/same.bin"), 700'001, 99);
  std::string tb = make_torrent(path("other/same.bin"), "", "32KiB");
  auto seeders = lt_seeders(ta, 1, "127.0.83.");
  auto r = run_process({FLUXO_BINARY, "download", ta, tb, "-o", path("out"), "--peer", "127.0.83.1:6881",
                        "--no-trackers", "--no-listen", "--json", "--stall-timeout", "30"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("another directory"), std::string::npos) << r.out;
  expect_same_tree(a, path("out/same.bin"));
}

TEST_F(SessionTest, OneListenerServesTwoTorrentsToALibtorrentLeecher) {
  std::string a = payload("srv-a.bin", 3'000'017), b = multi_payload("srv-b");
  std::string ta = make_torrent(a, "", "64KiB"), tb = make_torrent(b, "", "32KiB");
  BackgroundProcess seed({FLUXO_BINARY, "seed", ta, tb, "-d", path("data"), "--listen", "127.0.84.1", "--port",
                          "7240", "--json"},
                         path("seed.log"));
  // Ready when both torrents serve (each says `started` once checked).
  for (int i = 0; i < 600 && parse_events(seed.output()).count("started") < 2; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(parse_events(seed.output()).count("started"), 2) << seed.output();
  ASSERT_NE(seed.output().find("127.0.84.1:7240"), std::string::npos) << seed.output();
  auto r = run_process({kPython, kSrc + "/tools/lt_swarm.py", "leech", ta, path("lt-out"), "--also", tb, "--ip",
                        "127.0.84.2", "--peer", "127.0.84.1:7240", "--timeout", "120"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << seed.output();
  expect_same_tree(a, path("lt-out/srv-a.bin"));
  expect_same_tree(b, path("lt-out/srv-b"));
  // Both were served through the one port.
  std::map<std::string, std::uint64_t> up;
  for (int i = 0; i < 100; ++i) {
    for (const auto& e : parse_events(seed.output()).events) {
      if (e->getValue<std::string>("event") == "progress") {
        up[e->getValue<std::string>("info_hash")] = e->getValue<std::uint64_t>("uploaded_bytes");
      }
    }
    // Progress comes once a second: wait for the line that counts it all.
    if (up[info_hash(ta)] >= 3'000'017 && up[info_hash(tb)] >= 8'000'000) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(up[info_hash(ta)], 3'000'017u) << seed.output();
  EXPECT_GE(up[info_hash(tb)], 8'000'000u) << seed.output();
  EXPECT_EQ(seed.stop(SIGINT, 10s), 0) << seed.output();
  EXPECT_NE(seed.output().find("\"event\":\"finished\""), std::string::npos);
}

// A client fetching many torrents opens a connection for each at once, all
// from one address: the seeder's listener lets every one in (extra ones
// wait in the backlog), none is reset and no torrent waits for a retry.
TEST_F(SessionTest, ManyConnectionsFromOneAddressAtOnceAreAllLetIn) {
  constexpr int kTorrents = 40;
  std::vector<std::string> payloads, torrents;
  for (int i = 0; i < kTorrents; ++i) {
    payloads.push_back(payload("burst-" + std::to_string(i) + ".bin", 200'000 + 1'009 * static_cast<std::size_t>(i)));
    torrents.push_back(make_torrent(payloads.back(), "", "16KiB"));
  }
  std::vector<std::string> seed_argv{FLUXO_BINARY, "seed"};
  seed_argv.insert(seed_argv.end(), torrents.begin(), torrents.end());
  seed_argv.insert(seed_argv.end(), {"-d", path("data"), "--listen", "127.0.89.1", "--port", "7250", "--json"});
  BackgroundProcess seed(seed_argv, path("seed.log"));
  for (int i = 0; i < 600 && parse_events(seed.output()).count("started") < kTorrents; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(parse_events(seed.output()).count("started"), kTorrents) << seed.output();

  std::vector<std::string> extra{torrents.begin() + 1, torrents.end()};
  extra.insert(extra.end(), {"--max-active", std::to_string(kTorrents), "--no-listen", "--no-trackers", "--peer",
                             "127.0.89.1:7250"});
  auto r = download(torrents[0], extra);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (int i = 0; i < kTorrents; ++i) expect_same_tree(payloads[i], path("out/burst-" + std::to_string(i) + ".bin"));
  auto ev = parse_events(r.out);
  // Every torrent's one connection got through the first time.
  for (const auto& e : ev.events) {
    EXPECT_NE(e->getValue<std::string>("event"), "peer_error") << e->getValue<std::string>("message");
  }
  EXPECT_EQ(ev.count("started"), kTorrents);
}

// A raw connection to the seeder that sends a handshake for `hash` and
// returns what comes back before the seeder closes it (or 5 s pass).
std::string handshake_reply(const std::string& ip, int port, const std::string& hash_hex) {
  std::array<std::uint8_t, 20> hash{};
  from_hex(hash_hex, hash);
  std::string hs = "\x13" "BitTorrent protocol" + std::string(8, '\0');
  hs.append(reinterpret_cast<const char*>(hash.data()), 20);
  hs.append("-XX0000-abcdefghijkl");
  Poco::Net::StreamSocket s;
  s.connect(Poco::Net::SocketAddress(ip, static_cast<Poco::UInt16>(port)), Poco::Timespan(5, 0));
  s.sendBytes(hs.data(), static_cast<int>(hs.size()));
  s.setReceiveTimeout(Poco::Timespan(5, 0));
  std::string got;
  char buf[4096];
  try {
    while (got.size() < 68) {
      int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
  } catch (const Poco::Exception&) {
    got += "<timeout>";
  }
  return got;
}

TEST_F(SessionTest, AHandshakeForATorrentTheSessionDoesNotHaveIsClosed) {
  std::string a = payload("known.bin", 500'009);
  std::string ta = make_torrent(a, "", "32KiB");
  auto seeder = fluxo_seeder(ta, "127.0.85.1", 7241);
  // Unknown info-hash: closed without a word (no handshake back, no timeout).
  std::string unknown = handshake_reply("127.0.85.1", 7241, std::string(40, 'e'));
  EXPECT_EQ(unknown, "");
  // The torrent it has: a handshake back naming it.
  std::string known = handshake_reply("127.0.85.1", 7241, info_hash(ta));
  ASSERT_GE(known.size(), 68u) << known;
  std::array<std::uint8_t, 20> hash{};
  from_hex(info_hash(ta), hash);
  EXPECT_EQ(known.substr(28, 20), std::string(reinterpret_cast<const char*>(hash.data()), 20));
  // And it still serves.
  auto r = run_process({kPython, kSrc + "/tools/lt_swarm.py", "leech", ta, path("lt-out"), "--ip", "127.0.85.2",
                        "--peer", "127.0.85.1:7241", "--timeout", "60"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(a, path("lt-out/known.bin"));
}

// Connections from `from` to ip:port that send nothing, held open.
std::vector<int> silent_connections(const std::string& from, const std::string& ip, int port, int n) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in src{}, dst{};
    src.sin_family = dst.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &src.sin_addr);
    ::inet_pton(AF_INET, ip.c_str(), &dst.sin_addr);
    dst.sin_port = htons(static_cast<std::uint16_t>(port));
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
      if (fd >= 0) ::close(fd);
      continue;
    }
    fds.push_back(fd);
  }
  return fds;
}

TEST_F(SessionTest, ASilentFloodFromOneAddressKeepsNoHonestPeerOut) {
  std::string a = payload("flood.bin", 2'000'003);
  std::string ta = make_torrent(a, "", "32KiB");
  // Few slots: 4 in the budget and the spares for handshakes.
  auto seeder = fluxo_seeder(ta, "127.0.88.1", 7242, {"--max-peers", "4"});
  // 40 connections from one host that never say a word (each would hold a
  // slot for the 10 s handshake timeout).
  auto fds = silent_connections("127.0.88.9", "127.0.88.1", 7242, 40);
  ASSERT_FALSE(fds.empty());
  // An honest libtorrent leecher gets in at once (libtorrent would not try a
  // refused peer again for a minute): done well within the handshake timeout.
  auto r = run_process({kPython, kSrc + "/tools/lt_swarm.py", "leech", ta, path("lt-out"), "--ip", "127.0.88.2",
                        "--peer", "127.0.88.1:7242", "--timeout", "8"});
  for (int fd : fds) ::close(fd);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << seeder->output();
  expect_same_tree(a, path("lt-out/flood.bin"));
}

// The same from many addresses (a botnet, or one host with a /64): no
// per-address limit applies, and 40 silent connections are more than the
// 32 handshakes read at once, so an honest peer would wait in the backlog
// for the full 10 s handshake timeout (libtorrent gives up first). The
// longest-silent handshake makes room for a new connection instead.
TEST_F(SessionTest, ASilentFloodFromManyAddressesKeepsNoHonestPeerOut) {
  std::string a = payload("flood.bin", 2'000'003);
  std::string ta = make_torrent(a, "", "32KiB");
  auto seeder = fluxo_seeder(ta, "127.0.90.1", 7260, {"--max-peers", "4"});
  std::vector<int> fds;
  for (int i = 0; i < 40; ++i) {
    auto one = silent_connections("127.0.90." + std::to_string(10 + i), "127.0.90.1", 7260, 1);
    fds.insert(fds.end(), one.begin(), one.end());
  }
  ASSERT_EQ(fds.size(), 40u);
  auto r = run_process({kPython, kSrc + "/tools/lt_swarm.py", "leech", ta, path("lt-out"), "--ip", "127.0.90.2",
                        "--peer", "127.0.90.1:7260", "--timeout", "8"});
  for (int fd : fds) ::close(fd);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << seeder->output();
  expect_same_tree(a, path("lt-out/flood.bin"));
}

// A flood that speaks first: 40 connections from one host each send the
// start of an encrypted handshake (a key's worth of random bytes) and stall.
// Having spoken, they no longer count against that host's share, so they
// take every handshake slot; the longest-read one goes once past its grace,
// and an honest libtorrent leecher gets in well within its own patience.
TEST_F(SessionTest, AFloodOfStalledEncryptedHandshakesKeepsNoHonestPeerOut) {
  std::string a = payload("flood.bin", 2'000'003);
  std::string ta = make_torrent(a, "", "32KiB");
  auto seeder = fluxo_seeder(ta, "127.0.65.1", 7263, {"--max-peers", "4"});
  auto fds = silent_connections("127.0.65.9", "127.0.65.1", 7263, 40);
  ASSERT_FALSE(fds.empty());
  std::array<std::uint8_t, 96> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 37 + 11);
  for (int fd : fds) ASSERT_EQ(::send(fd, key.data(), key.size(), MSG_NOSIGNAL), 96);
  auto r = run_process({kPython, kSrc + "/tools/lt_swarm.py", "leech", ta, path("lt-out"), "--ip", "127.0.65.2",
                        "--peer", "127.0.65.1:7263", "--timeout", "8"});
  for (int fd : fds) ::close(fd);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << seeder->output();
  expect_same_tree(a, path("lt-out/flood.bin"));
}

}  // namespace
}  // namespace fluxo
