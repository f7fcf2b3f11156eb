#include "core/tracker_response.h"

#include <gtest/gtest.h>

#include "net/tracker_client.h"

namespace fluxo {
namespace {

TEST(TrackerResponse, CompactPeersAndFields) {
  std::string peers("\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x50", 12);
  std::string body = "d8:completei5e10:incompletei3e8:intervali900e12:min intervali60e5:peers12:" + peers +
                     "10:tracker id3:abc15:warning message6:beware";
  body += "e";
  auto r = parse_announce_response(body);
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ(r->peers.size(), 2u);
  EXPECT_EQ(r->peers[0].to_string(), "127.0.0.1:6881");
  EXPECT_EQ(r->peers[1].to_string(), "10.0.0.2:80");
  EXPECT_EQ(r->interval, 900);
  EXPECT_EQ(r->min_interval, 60);
  EXPECT_EQ(r->tracker_id, "abc");
  EXPECT_EQ(r->complete, 5);
  EXPECT_EQ(r->incomplete, 3);
  EXPECT_EQ(r->warning, "beware");
}

TEST(TrackerResponse, DictionaryPeersAndPeers6) {
  std::string v6(18, '\0');
  v6[15] = 1;  // ::1
  v6[16] = 0x1a;
  v6[17] = (char)0xe1;
  std::string body = "d5:peersld2:ip9:127.0.0.57:peer id20:aaaaaaaaaaaaaaaaaaaa4:porti7000eee6:peers618:" + v6 + "e";
  auto r = parse_announce_response(body);
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ(r->peers.size(), 2u);
  EXPECT_EQ(r->peers[0].to_string(), "127.0.0.5:7000");
  EXPECT_EQ(r->peers[1].to_string(), "[::1]:6881");  // canonical, as PEX gives it
}

TEST(TrackerResponseHostile, FailureReasonIsAnError) {
  auto r = parse_announce_response("d14:failure reason12:unregisterede");
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("unregistered"), std::string::npos);
}

TEST(TrackerResponseHostile, OddCompactLengthAndPortZeroAreDropped) {
  std::string peers("\x7f\x00\x00\x01\x1a\xe1\x7f\x00\x00\x02\x00\x00\x01\x02", 14);
  auto r = parse_announce_response("d5:peers14:" + peers + "e");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->peers.size(), 1u);
  EXPECT_EQ(r->peers_dropped, 2u);  // the trailing 2 bytes and the port-0 entry
}

TEST(TrackerResponseHostile, IntervalIsClamped) {
  EXPECT_EQ(parse_announce_response("d8:intervali0ee")->interval, kMinInterval);
  EXPECT_EQ(parse_announce_response("d8:intervali-5ee")->interval, kMinInterval);
  EXPECT_EQ(parse_announce_response("d8:intervali99999999ee")->interval, kMaxInterval);
}

TEST(TrackerResponseHostile, GarbageIsAnError) {
  EXPECT_FALSE(parse_announce_response("<html>502</html>"));
  EXPECT_FALSE(parse_announce_response("le"));
  EXPECT_FALSE(parse_announce_response(""));
}

TEST(TrackerResponse, PeerAddressParsing) {
  PeerAddress a;
  EXPECT_TRUE(parse_peer_address("127.0.0.1:6881", a));
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_TRUE(parse_peer_address("[::1]:80", a));
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.to_string(), "[::1]:80");
  EXPECT_FALSE(parse_peer_address("::1:80", a));
  EXPECT_FALSE(parse_peer_address("host:0", a));
  EXPECT_FALSE(parse_peer_address("host:65536", a));
  EXPECT_FALSE(parse_peer_address("host", a));
}

TEST(TrackerClient, AnnounceUrlCarriesEveryParameter) {
  AnnounceRequest req;
  req.info_hash.bytes.fill(0xff);
  req.peer_id.fill('A');
  req.port = 7000;
  req.left = 12345;
  req.event = AnnounceEvent::started;
  req.tracker_id = "t id";
  std::string url = announce_url("http://127.0.0.1:1/announce?x=1", req);
  EXPECT_NE(url.find("?x=1&info_hash=" + std::string(20 * 3, 'F').replace(0, 60, [] {
    std::string s;
    for (int i = 0; i < 20; ++i) s += "%FF";
    return s;
  }())), std::string::npos) << url;
  EXPECT_NE(url.find("&port=7000"), std::string::npos);
  EXPECT_NE(url.find("&left=12345"), std::string::npos);
  EXPECT_NE(url.find("&compact=1"), std::string::npos);
  EXPECT_NE(url.find("&event=started"), std::string::npos);
  EXPECT_NE(url.find("&trackerid=t%20id"), std::string::npos);
}

TEST(TrackerClient, UnreachableTrackerIsANetworkErrorQuickly) {
  AnnounceRequest req;
  TrackerOptions o;
  o.timeout = std::chrono::milliseconds(2000);
  auto r = announce("http://127.0.0.1:1/announce", req, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::network_error);
  auto u = announce("udp://127.0.0.1:1/announce", req, o);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.status().code(), ErrorCode::unsupported);
}

TEST(ScrapeResponse, FiguresOfTheTorrentAskedFor) {
  const std::string hash(20, 'H'), other(20, 'O');
  const std::string body = "d5:filesd20:" + other + "d8:completei9ee20:" + hash +
                           "d8:completei5e10:downloadedi50e10:incompletei3eeee";
  auto f = parse_scrape_response(body, hash);
  ASSERT_TRUE(f) << f.status().to_string();
  EXPECT_EQ(f->seeders, 5);
  EXPECT_EQ(f->completed, 50);
  EXPECT_EQ(f->leechers, 3);
  // Missing figures are 0, negative ones too.
  auto partial = parse_scrape_response("d5:filesd20:" + hash + "d8:completei-4eeee", hash);
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->seeders, 0);
  EXPECT_EQ(partial->completed, 0);
  EXPECT_EQ(parse_scrape_response("d5:filesdee", hash).status().code(), ErrorCode::not_found);
  EXPECT_EQ(parse_scrape_response("d14:failure reason4:nopee", hash).status().code(), ErrorCode::protocol_error);
  EXPECT_EQ(parse_scrape_response("i1e", hash).status().code(), ErrorCode::protocol_error);
  EXPECT_EQ(parse_scrape_response("d5:filesi1ee", hash).status().code(), ErrorCode::protocol_error);
}

TEST(ScrapeUrl, OnlyWhereTheLastComponentStartsWithAnnounce) {
  // BEP 48's examples.
  EXPECT_EQ(scrape_url("http://example.com/announce"), "http://example.com/scrape");
  EXPECT_EQ(scrape_url("http://example.com/x/announce"), "http://example.com/x/scrape");
  EXPECT_EQ(scrape_url("http://example.com/announce.php"), "http://example.com/scrape.php");
  EXPECT_EQ(scrape_url("http://example.com/announce?x2%0644"), "http://example.com/scrape?x2%0644");
  EXPECT_EQ(scrape_url("http://example.com/a"), std::nullopt);
  EXPECT_EQ(scrape_url("http://example.com/announce?x=2/4"), std::nullopt);
  EXPECT_EQ(scrape_url("http://example.com/x%064announce"), std::nullopt);
}

}  // namespace
}  // namespace fluxo
