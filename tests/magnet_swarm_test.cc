// Reach: magnet links (BEP 9) and peer exchange (BEP 11) with real peers.
// fluxo fetches a torrent's metadata from libtorrent and aria2c found
// through x.pe or a UDP-only opentracker, checks it against the info-hash,
// downloads byte for byte, and keeps it for a resumed run; peers that lie
// about the metadata (tests/interop/metadata_peer.py) are dropped without
// holding the download up. Through PEX, fluxo learns peers only libtorrent
// knew, and libtorrent learns peers only fluxo knew.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include <filesystem>

#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;

class MagnetTest : public SwarmTest {
 protected:
  // 20 MB in 16 KiB pieces: 1,221 piece hashes, so the info dictionary
  // takes two 16 KiB metadata pieces.
  std::string big_payload(const std::string& name) { return single_payload(name, 20'000'003); }

  std::string magnet(const std::string& torrent, const std::vector<std::string>& params) {
    std::string m = "magnet:?xt=urn:btih:" + info_hash(torrent);
    for (const auto& p : params) m += "&" + p;
    return m;
  }

  std::unique_ptr<BackgroundProcess> liar(const std::string& torrent, const std::string& addr,
                                          const std::string& mode) {
    auto p = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{kPython, kSrc + "/tests/interop/metadata_peer.py", torrent, addr, mode},
        path("liar-" + mode + ".log"));
    EXPECT_TRUE(p->wait_for_line("ready", 60s)) << read_file(path("liar-" + mode + ".log"));
    return p;
  }

};

TEST_F(MagnetTest, AMagnetWithOnlyPeersIsFetchedFromLibtorrentSeedersAndItsMetadataKept) {
  std::string payload = big_payload("mag.bin");
  std::string torrent = make_torrent(payload, "", "16KiB");
  auto seeders = lt_seeders(torrent, 2, "127.0.97.");
  const std::string m = magnet(torrent, {"dn=shown+first", "x.pe=127.0.97.1:6881", "x.pe=127.0.97.2:6881"});
  auto r = download(m, {});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/mag.bin"));
  auto ev = parse_events(r.out);
  auto meta = ev.last("metadata");
  ASSERT_TRUE(meta) << r.out;
  EXPECT_EQ(meta->getValue<std::string>("name"), "mag.bin");
  EXPECT_EQ(meta->getValue<std::int64_t>("total_bytes"), 20'000'003);
  EXPECT_EQ(ev.count("started"), 1);
  // Kept for a resumed run: the same info dictionary as the .torrent's.
  const std::string saved = path("out/.fluxo/" + info_hash(torrent) + ".torrent");
  ASSERT_TRUE(std::filesystem::exists(saved));
  EXPECT_EQ(info_hash(saved), info_hash(torrent));

  // Again, with nobody to ask for metadata: the saved copy is used, and the
  // data found complete.
  seeders.reset();
  auto again = download(magnet(torrent, {"x.pe=127.0.97.1:6881"}), {});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  auto ev2 = parse_events(again.out);
  EXPECT_EQ(ev2.count("metadata"), 0) << again.out;
  EXPECT_EQ(ev2.last("finished")->getValue<std::int64_t>("bytes"), 20'000'003);
  expect_same_tree(payload, path("out/mag.bin"));
}

TEST_F(MagnetTest, AMagnetWhoseOnlyTrackerIsUdpFindsItsPeersThere) {
  std::string payload = big_payload("udp-mag.bin");
  std::string torrent = make_torrent(payload, "udp://127.0.98.250:6969/announce", "16KiB");
  test::OpenTracker tracker(path("tracker"), "127.0.98.250", 6969, {info_hash(torrent)});
  // One libtorrent session per process announces over UDP (see download_test.cc).
  auto first = lt_seeders(torrent, 1, "127.0.98.");
  auto second = lt_seeders(torrent, 1, "127.0.99.");
  ASSERT_TRUE(wait_for_tracker("127.0.98.250", 6969, info_hash(torrent), 2));
  auto r = download(magnet(torrent, {"tr=udp%3A%2F%2F127.0.98.250%3A6969%2Fannounce"}), {"--udp-resend-ms", "500"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/udp-mag.bin"));
  auto ev = parse_events(r.out);
  EXPECT_GE(ev.count("tracker_ok"), 1);
  EXPECT_EQ(ev.count("metadata"), 1);
  // The saved metadata carries the magnet's tracker.
  auto saved = run_process({FLUXO_BINARY, "info", path("out/.fluxo/" + info_hash(torrent) + ".torrent"), "--json"});
  EXPECT_NE(saved.out.find("udp://127.0.98.250:6969/announce"), std::string::npos) << saved.out;
}

TEST_F(MagnetTest, FetchMetadataWritesTheTorrentFromAnAria2Seeder) {
  std::string payload = big_payload("aria-mag.bin");
  std::string torrent = make_torrent(payload, "", "16KiB");
  BackgroundProcess aria({"aria2c", "--dir=" + path("data"), "--seed-ratio=0.0", "--seed-time=10",
                          "--bt-seed-unverified=true", "--check-integrity=false", "--enable-dht=false",
                          "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                          "--listen-port=7281", "--console-log-level=warn", "--summary-interval=0",
                          "--bt-detach-seed-only=false", "--enable-color=false", torrent},
                         path("aria2.log"));
  ASSERT_TRUE(wait_for_port("127.0.0.1", 7281)) << read_file(path("aria2.log"));
  auto r = run_process({FLUXO_BINARY, "fetch-metadata", magnet(torrent, {"x.pe=127.0.0.1:7281"}), "-o",
                        path("fetched.torrent"), "--no-listen"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("aria-mag.bin"), std::string::npos) << r.out;
  // The same info dictionary, byte for byte, as the original's.
  auto a = parse_metainfo(read_file(path("fetched.torrent")));
  auto b = parse_metainfo(read_file(torrent));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a->info_bytes, *b->info_bytes);
  EXPECT_FALSE(std::filesystem::exists(path("data/.fluxo")));  // nothing else written
}

// Magnets and a .torrent in one -i list, all at once from one swarm: each
// magnet's metadata comes first, then every download completes.
TEST_F(MagnetTest, MagnetsAndTorrentFilesMixInOneList) {
  std::vector<std::string> payloads, torrents;
  for (int i = 0; i < 3; ++i) {
    payloads.push_back(single_payload("mix-" + std::to_string(i) + ".bin", 2'000'003 + 1'000 * i));
    torrents.push_back(make_torrent(payloads.back(), "", "32KiB"));
  }
  auto seeders = lt_seeders(torrents[0], 2, "127.0.78.", {"--also", torrents[1], "--also", torrents[2]});
  const std::string peers = "x.pe=127.0.78.1:6881&x.pe=127.0.78.2:6881";
  write_file(path("list.txt"), "# two magnets and a file\n" + magnet(torrents[0], {peers}) + "\n" + torrents[1] +
                                   "\n" + magnet(torrents[2], {"dn=third", peers}) + "\n");
  auto r = run_process({FLUXO_BINARY, "download", "-i", path("list.txt"), "-o", path("out"), "--json", "--no-trackers",
                        "--peer", "127.0.78.1:6881", "--listen", own_ip(), "--max-active", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (int i = 0; i < 3; ++i) expect_same_tree(payloads[i], path("out/mix-" + std::to_string(i) + ".bin"));
  auto ev = parse_events(r.out);
  EXPECT_EQ(ev.count("metadata"), 2);
  EXPECT_EQ(ev.count("started"), 3);
  EXPECT_EQ(ev.count("finished"), 3);
}

// Liars first in the list, one honest libtorrent seeder last: each liar is
// dropped (or never used) and the download completes byte for byte.
TEST_F(MagnetTest, PeersThatLieAboutTheMetadataAreDroppedAndHoldNothingUp) {
  std::string payload = big_payload("liars.bin");
  std::string torrent = make_torrent(payload, "", "16KiB");
  auto wrong = liar(torrent, "127.0.91.1:7282", "wrong-hash");
  auto big = liar(torrent, "127.0.91.2:7282", "oversized");
  auto longer = liar(torrent, "127.0.91.3:7282", "long-piece");
  auto silent = liar(torrent, "127.0.91.4:7282", "silent");
  auto honest = lt_seeders(torrent, 1, "127.0.91.1");  // 127.0.91.11
  auto r = download(magnet(torrent, {"x.pe=127.0.91.1:7282", "x.pe=127.0.91.2:7282", "x.pe=127.0.91.3:7282",
                                     "x.pe=127.0.91.4:7282", "x.pe=127.0.91.11:6881"}),
                    {});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/liars.bin"));
  // Which liars were asked before the honest peer finished depends on
  // timing: each is tried alone below.
  EXPECT_EQ(parse_events(r.out).count("metadata"), 1);
}

// Each liar alone: dropped with the reason, nothing written, exit 5 once
// no metadata came for --timeout.
TEST_F(MagnetTest, FetchMetadataFromOnlyALiarFailsAndWritesNothing) {
  std::string payload = big_payload("lone.bin");
  std::string torrent = make_torrent(payload, "", "16KiB");
  const std::pair<const char*, const char*> cases[] = {
      {"wrong-hash", "127.0.91.21:7283: sent metadata that does not match the info-hash"},
      {"long-piece", "127.0.91.22:7283: metadata piece 0 of 16484 bytes (should be 16384)"},
      {"silent", "127.0.91.23:7283: did not send metadata piece"},
      {"oversized", "127.0.91.24:7283: offered no usable metadata_size (none, or over the 64 MiB limit)"},
  };
  int i = 0;
  for (const auto& [mode, why] : cases) {
    const std::string addr = "127.0.91." + std::to_string(21 + i++) + ":7283";
    auto peer = liar(torrent, addr, mode);
    auto r = run_process({FLUXO_BINARY, "fetch-metadata", magnet(torrent, {"x.pe=" + addr}), "-o",
                          path("never.torrent"), "--no-listen", "--timeout", "3", "--request-timeout", "1"});
    EXPECT_EQ(r.exit_code, 5) << mode << r.out << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << mode << ": " << r.err;
    EXPECT_NE(r.err.find("no peer sent any metadata for 3 s"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(path("never.torrent")));
  }
}

TEST_F(MagnetTest, MagnetsThatCannotBeFetchedAreRefusedClearly) {
  const std::string hash(40, 'a');
  // Nowhere to find peers (no DHT yet): a usage error, before anything runs.
  auto none = run_process({FLUXO_BINARY, "download", "magnet:?xt=urn:btih:" + hash, "-o", path("out")});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("nowhere to find peers"), std::string::npos) << none.err;
  // A selection that is not a list of file indices: refused before anything runs.
  auto so = run_process({FLUXO_BINARY, "download", "magnet:?xt=urn:btih:" + hash + "&so=0,x&x.pe=127.0.0.1:1", "-o",
                         path("out")});
  EXPECT_EQ(so.exit_code, 3) << so.err;
  EXPECT_NE(so.err.find("so: \"x\""), std::string::npos) << so.err;
  auto select = run_process({FLUXO_BINARY, "download", "magnet:?xt=urn:btih:" + hash + "&x.pe=127.0.0.1:1", "--select",
                             "2-1", "-o", path("out")});
  EXPECT_EQ(select.exit_code, 2) << select.err;
  EXPECT_NE(select.err.find("--select"), std::string::npos) << select.err;
  EXPECT_FALSE(std::filesystem::exists(path("out")));
  // Seeding needs the data: a magnet is refused.
  auto seed = run_process({FLUXO_BINARY, "seed", "magnet:?xt=urn:btih:" + hash, "-d", path("out")});
  EXPECT_EQ(seed.exit_code, 2) << seed.err;
  // A malformed one names what is wrong.
  auto bad = run_process({FLUXO_BINARY, "download", "magnet:?xt=urn:btih:123", "--peer", "127.0.0.1:1"});
  EXPECT_EQ(bad.exit_code, 3) << bad.err;
  EXPECT_NE(bad.err.find("xt"), std::string::npos) << bad.err;
}

// BEP 53: so= selects two of five files whose boundaries fall inside
// pieces. Only those two exist afterwards, byte for byte; the bytes of their
// neighbours that share a piece are in DIR/.fluxo/<hash>.parts; less than
// the whole torrent was fetched. A resumed run finds it complete; a wider
// selection later fetches the rest; an index beyond the files is refused.
TEST_F(MagnetTest, SoSelectsTwoOfFiveFilesAndOnlyThoseExist) {
  namespace fs = std::filesystem;
  const std::string root = path("data/sel");
  const std::size_t sizes[] = {1'000'003, 2'000'011, 300'007, 1'500'001, 777'777};
  std::int64_t total = 0;
  for (int i = 0; i < 5; ++i) {
    write_random_file(root + "/f" + std::to_string(i), sizes[i], 10 + i);
    total += static_cast<std::int64_t>(sizes[i]);
  }
  std::string torrent = make_torrent(root, "", "32KiB");
  auto meta = parse_metainfo(read_file(torrent));
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->files.size(), 5u);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(meta->files[i].path, "sel/f" + std::to_string(i));
  auto seeders = lt_seeders(torrent, 2, "127.0.69.");
  const std::string peers = "x.pe=127.0.69.1:6881&x.pe=127.0.69.2:6881";
  auto r = download(magnet(torrent, {"so=1,3", peers}), {});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(root + "/f1", path("out/sel/f1"));
  expect_same_tree(root + "/f3", path("out/sel/f3"));
  for (const char* absent : {"f0", "f2", "f4"}) {
    EXPECT_FALSE(fs::exists(path(std::string("out/sel/") + absent))) << absent << " was created";
  }
  // The neighbours' bytes in shared pieces: at most one piece either side of
  // each selected file, less than a file's worth.
  const std::string parts = path("out/.fluxo/" + info_hash(torrent) + ".parts");
  ASSERT_TRUE(fs::exists(parts));
  EXPECT_GT(fs::file_size(parts), 0u);
  EXPECT_LE(fs::file_size(parts), 4u * 32768);
  auto ev = parse_events(r.out);
  auto fin = ev.last("finished");
  ASSERT_TRUE(fin) << r.out;
  EXPECT_EQ(fin->getValue<int>("files_selected"), 2);
  EXPECT_EQ(fin->getValue<int>("files"), 5);
  const auto fetched = fin->getValue<std::int64_t>("total_bytes");
  EXPECT_GE(fetched, static_cast<std::int64_t>(sizes[1] + sizes[3]));
  EXPECT_LT(fetched, total - static_cast<std::int64_t>(sizes[0]));  // f0's middle was never wanted
  EXPECT_EQ(fin->getValue<std::int64_t>("bytes"), fetched);

  // Resumed with the same selection: complete from the resume data, nothing
  // fetched, still only two files.
  auto again = download(magnet(torrent, {"so=1,3", peers}), {});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("resumed"), std::string::npos) << again.out;
  EXPECT_EQ(parse_events(again.out).count("metadata"), 0);
  EXPECT_FALSE(fs::exists(path("out/sel/f0")));

  // Every file now (--select over the magnet's so=): the resume data was
  // for another selection, so the data is rechecked and the rest fetched.
  auto wider = download(magnet(torrent, {"so=1,3", peers}), {"--select", "0-4"});
  ASSERT_EQ(wider.exit_code, 0) << wider.out << wider.err;
  expect_same_tree(root, path("out/sel"));
  EXPECT_NE(wider.out.find("another selection"), std::string::npos) << wider.out;

  // A file the torrent does not have: refused, naming it (exit 3).
  seeders.reset();
  auto beyond = download(magnet(torrent, {"so=1,9", peers}), {});
  EXPECT_EQ(beyond.exit_code, 3) << beyond.out << beyond.err;
  EXPECT_NE((beyond.out + beyond.err).find("file 9"), std::string::npos) << beyond.out << beyond.err;
}

// --select on a .torrent, through opentracker: the selection is fetched and
// only its files exist, and the tracker never hears `completed` (the run is
// no seed: BEP 3's `left` stays above 0). The whole torrent afterwards does
// send it, so the figure checked can tell the two apart.
TEST_F(MagnetTest, ASelectionIsNoSeedToItsTracker) {
  namespace fs = std::filesystem;
  const std::string root = path("data/part");
  for (int i = 0; i < 3; ++i) write_random_file(root + "/p" + std::to_string(i), 700'001 + 13 * i, 20 + i);
  std::string torrent = make_torrent(root, "http://127.0.68.250:6969/announce", "16KiB");
  test::OpenTracker tracker(path("tracker"), "127.0.68.250", 6969, {info_hash(torrent)});
  auto seeders = lt_seeders(torrent, 2, "127.0.68.");
  ASSERT_TRUE(wait_for_tracker("127.0.68.250", 6969, info_hash(torrent), 2));
  auto r = download(torrent, {"--select", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(root + "/p1", path("out/part/p1"));
  EXPECT_FALSE(fs::exists(path("out/part/p0")));
  EXPECT_FALSE(fs::exists(path("out/part/p2")));
  EXPECT_GE(parse_events(r.out).count("tracker_ok"), 1);
  EXPECT_EQ(scrape_figure("127.0.68.250", 6969, info_hash(torrent), "downloaded"), 0);
  auto whole = download(torrent, {});
  ASSERT_EQ(whole.exit_code, 0) << whole.out << whole.err;
  expect_same_tree(root, path("out/part"));
  EXPECT_EQ(scrape_figure("127.0.68.250", 6969, info_hash(torrent), "downloaded"), 1);
}

// fluxo knows only a libtorrent leecher; the seeder it fetches from is
// known to that leecher alone. fluxo does not listen (the seeder cannot
// reach it), so using a second peer means it learned the seeder by PEX.
TEST_F(MagnetTest, FluxoLearnsThroughPexPeersOnlyLibtorrentKnew) {
  std::string payload = single_payload("pex-a.bin", 8'000'009);
  std::string torrent = make_torrent(payload, "", "64KiB");
  // Slow enough that the leecher is still fetching while fluxo joins.
  auto seeder = lt_seeders(torrent, 1, "127.0.70.1", {"--upload-limit", "2000000"});  // 127.0.70.11
  BackgroundProcess leecher({kPython, kSrc + "/tools/lt_swarm.py", "leech", torrent, path("lt-out"), "--ip",
                             "127.0.70.2", "--port", "6881", "--peer", "127.0.70.11:6881", "--timeout", "60"},
                            path("lt-leech.log"));
  ASSERT_TRUE(wait_for_port("127.0.70.2", 6881)) << read_file(path("lt-leech.log"));
  auto r = download(torrent, {"--peer", "127.0.70.2:6881", "--no-trackers", "--no-listen"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/pex-a.bin"));
  auto fin = parse_events(r.out).last("finished");
  EXPECT_GE(fin->getValue<int>("peers_used"), 2) << r.out;
  EXPECT_GE(fin->getValue<int>("peers_known"), 2) << r.out;
}

// A libtorrent leecher knows only fluxo; fluxo knows the seeder. The
// leecher reports how it learned each peer: the seeder's listening address
// by peer exchange, which only fluxo could have sent.
TEST_F(MagnetTest, LibtorrentLearnsThroughPexPeersOnlyFluxoKnew) {
  std::string payload = single_payload("pex-b.bin", 8'000'009);
  std::string torrent = make_torrent(payload, "", "64KiB");
  auto seeder = lt_seeders(torrent, 1, "127.0.71.1", {"--upload-limit", "2000000"});  // 127.0.71.11
  BackgroundProcess fluxo({FLUXO_BINARY, "download", torrent, "-o", path("out"), "--json", "--peer",
                           "127.0.71.11:6881", "--no-trackers", "--listen", "127.0.71.3", "--port", "7290"},
                          path("fluxo.log"));
  ASSERT_TRUE(fluxo.wait_for_line("{\"event\":\"listening\"", 60s)) << fluxo.output();
  auto lt = run_process({kPython, kSrc + "/tools/lt_swarm.py", "leech", torrent, path("lt-out"), "--ip", "127.0.71.2",
                         "--peer", "127.0.71.3:7290", "--timeout", "60", "--clients"});
  ASSERT_EQ(lt.exit_code, 0) << lt.out << lt.err;
  expect_same_tree(payload, path("lt-out/pex-b.bin"));
  auto report = Poco::JSON::Parser().parse(lt.out).extract<Poco::JSON::Object::Ptr>();
  // The seeder, under its listening port, or under the port it connected
  // from when it dialled the leecher first (it learned the leecher from
  // fluxo's PEX too): either way marked as learned by PEX (peer_info.pex).
  auto sources = report->getObject("sources");
  int seeder_sources = 0;
  for (const auto& [addr, bits] : *sources) {
    if (addr.rfind("127.0.71.11:", 0) == 0) seeder_sources |= bits.convert<int>();
  }
  EXPECT_NE(seeder_sources & 4, 0) << lt.out;
  ASSERT_TRUE(fluxo.wait_for_line("{\"event\":\"finished\"", 60s)) << fluxo.output();
  EXPECT_NE(fluxo.lines().back().find("\"ok\":true"), std::string::npos) << fluxo.output();
}

// What fluxo offers and sends a peer that asks for PEX, while it downloads
// from a seeder: a public torrent lists the seeder; a private one (BEP 27)
// offers neither ut_pex nor ut_metadata in its extended handshake.
TEST_F(MagnetTest, PexListsOtherPeersButNeverForAPrivateTorrent) {
  for (const bool priv : {false, true}) {
    SCOPED_TRACE(priv ? "private" : "public");
    const std::string name = priv ? "pex-p.bin" : "pex-q.bin";
    std::string payload = single_payload(name, 4'000'037);
    std::string torrent =
        make_torrent(payload, "", "64KiB", priv ? std::vector<std::string>{"--private"} : std::vector<std::string>{});
    const std::string net = priv ? "127.0.72." : "127.0.73.";
    auto seeder = lt_seeders(torrent, 1, net + "1", {"--upload-limit", "500000"});  // .11
    BackgroundProcess fluxo({FLUXO_BINARY, "download", torrent, "-o", path("out"), "--json", "--peer",
                             net + "11:6881", "--no-trackers", "--listen", net + "3", "--port", "7292"},
                            path("fluxo-" + name + ".log"));
    ASSERT_TRUE(fluxo.wait_for_line("{\"event\":\"listening\"", 60s)) << fluxo.output();
    // Connected to the seeder before the probe comes (it is the only peer to list).
    ASSERT_TRUE(fluxo.wait_for_line("{\"event\":\"progress\"", 60s)) << fluxo.output();
    auto probe = run_process({kPython, kSrc + "/tests/interop/pex_probe.py", torrent, net + "3:7292", "--bind",
                              net + "4"});
    ASSERT_EQ(probe.exit_code, 0) << probe.out << probe.err;
    auto report = Poco::JSON::Parser().parse(probe.out).extract<Poco::JSON::Object::Ptr>();
    auto m = report->getArray("m");
    std::vector<std::string> offered;
    for (std::size_t i = 0; i < m->size(); ++i) offered.push_back(m->getElement<std::string>(static_cast<unsigned>(i)));
    if (priv) {
      EXPECT_EQ(offered, std::vector<std::string>{}) << probe.out;
      EXPECT_TRUE(report->isNull("added")) << probe.out;
    } else {
      EXPECT_EQ(offered, (std::vector<std::string>{"ut_metadata", "ut_pex"})) << probe.out;
      ASSERT_FALSE(report->isNull("added")) << probe.out;
      auto added = report->getArray("added");
      ASSERT_EQ(added->size(), 1u) << probe.out;
      EXPECT_EQ(added->getElement<std::string>(0), net + "11:6881");
    }
  }
}

}  // namespace
}  // namespace fluxo
