#include "core/udp_tracker_message.h"

#include <gtest/gtest.h>

namespace fluxo::udp_tracker {
namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> b) {
  std::vector<std::uint8_t> out;
  for (int v : b) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

void append32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int i = 3; i >= 0; --i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}

std::vector<std::uint8_t> header(Action a, std::uint32_t tid) {
  std::vector<std::uint8_t> v;
  append32(v, static_cast<std::uint32_t>(a));
  append32(v, tid);
  return v;
}

TEST(UdpTrackerMessage, ConnectRequestCarriesTheProtocolIdActionAndTransaction) {
  auto c = encode_connect(0xdeadbeef);
  EXPECT_EQ(std::vector<std::uint8_t>(c.begin(), c.end()),
            bytes({0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef}));
}

TEST(UdpTrackerMessage, AnnounceFieldsSitAtTheirBep15Offsets) {
  Announce a;
  a.connection_id = 0x0102030405060708;
  a.transaction_id = 7;
  a.info_hash.bytes.fill(0xaa);
  a.peer_id.fill(0xbb);
  a.downloaded = 5;
  a.left = -3;  // never negative on the wire
  a.uploaded = 0x100000000;
  a.event = Event::stopped;
  a.key = 0x11223344;
  a.num_want = -1;
  a.port = 6881;
  auto m = encode_announce(a);
  EXPECT_EQ(m[0], 0x01);
  EXPECT_EQ(m[7], 0x08);
  EXPECT_EQ(m[11], 1);  // action announce
  EXPECT_EQ(m[15], 7);
  EXPECT_EQ(m[16], 0xaa);
  EXPECT_EQ(m[35], 0xaa);
  EXPECT_EQ(m[36], 0xbb);
  EXPECT_EQ(m[55], 0xbb);
  EXPECT_EQ(m[63], 5);
  for (int i = 64; i < 72; ++i) EXPECT_EQ(m[i], 0) << i;
  EXPECT_EQ(m[75], 1);  // 2^32
  EXPECT_EQ(m[83], 3);  // stopped
  for (int i = 84; i < 88; ++i) EXPECT_EQ(m[i], 0) << i;  // IP: the source's
  EXPECT_EQ(m[88], 0x11);
  EXPECT_EQ(m[92], 0xff);
  EXPECT_EQ(m[95], 0xff);
  EXPECT_EQ(m[96] << 8 | m[97], 6881);
}

TEST(UdpTrackerMessage, ScrapeRequestIsCappedAtSeventyFourHashes) {
  std::vector<InfoHash> hashes(100);
  auto s = encode_scrape(1, 2, hashes);
  EXPECT_EQ(s.size(), 16u + 20u * kMaxScrapeHashes);
  EXPECT_EQ(s[11], 2);  // action scrape
}

TEST(UdpTrackerMessage, ConnectReplyGivesTheConnectionId) {
  auto d = header(Action::connect, 9);
  for (int i = 1; i <= 8; ++i) d.push_back(static_cast<std::uint8_t>(i));
  auto r = parse_reply(d, false);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->action, Action::connect);
  EXPECT_EQ(r->transaction_id, 9u);
  EXPECT_EQ(r->connection_id, 0x0102030405060708u);
  d.pop_back();
  EXPECT_EQ(parse_reply(d, false).status().code(), ErrorCode::protocol_error);
}

TEST(UdpTrackerMessage, AnnounceReplyPeersAreBoundedAndCleaned) {
  auto d = header(Action::announce, 3);
  append32(d, 5);   // interval: clamped up to the minimum
  append32(d, 2);   // leechers
  append32(d, 11);  // seeders
  for (int v : {127, 0, 0, 1, 0x1a, 0xe1}) d.push_back(static_cast<std::uint8_t>(v));
  for (int v : {10, 1, 2, 3, 0, 0}) d.push_back(static_cast<std::uint8_t>(v));  // port 0: dropped
  for (int v : {192, 168, 1, 9, 0, 80}) d.push_back(static_cast<std::uint8_t>(v));
  for (int v : {1, 2, 3}) d.push_back(static_cast<std::uint8_t>(v));  // partial: dropped
  auto r = parse_reply(d, false);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->action, Action::announce);
  EXPECT_EQ(r->announce.interval, kMinInterval);
  EXPECT_EQ(r->announce.incomplete, 2);
  EXPECT_EQ(r->announce.complete, 11);
  ASSERT_EQ(r->announce.peers.size(), 2u);
  EXPECT_EQ(r->announce.peers[0].to_string(), "127.0.0.1:6881");
  EXPECT_EQ(r->announce.peers[1].to_string(), "192.168.1.9:80");
  EXPECT_EQ(r->announce.peers_dropped, 2u);
  // At most max_peers.
  auto capped = parse_reply(d, false, 1);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->announce.peers.size(), 1u);
  // Over IPv6 the entries are 18 bytes.
  auto v6 = header(Action::announce, 3);
  append32(v6, 1800);
  append32(v6, 0);
  append32(v6, 1);
  for (int i = 0; i < 15; ++i) v6.push_back(0);
  for (int v : {1, 0x1a, 0xe1}) v6.push_back(static_cast<std::uint8_t>(v));
  auto r6 = parse_reply(v6, true);
  ASSERT_TRUE(r6);
  ASSERT_EQ(r6->announce.peers.size(), 1u);
  EXPECT_EQ(r6->announce.peers[0].to_string(), "[::1]:6881");
  EXPECT_EQ(parse_reply(header(Action::announce, 3), false).status().code(), ErrorCode::protocol_error);
}

TEST(UdpTrackerMessage, ScrapeReplyListsFiguresInOrder) {
  auto d = header(Action::scrape, 4);
  for (std::uint32_t v : {5u, 100u, 2u, 0u, 1u, 9u}) append32(d, v);
  d.push_back(0);  // a stray byte is ignored
  auto r = parse_reply(d, false);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->scrape.size(), 2u);
  EXPECT_EQ(r->scrape[0].seeders, 5);
  EXPECT_EQ(r->scrape[0].completed, 100);
  EXPECT_EQ(r->scrape[0].leechers, 2);
  EXPECT_EQ(r->scrape[1].leechers, 9);
}

TEST(UdpTrackerMessage, ErrorReplyMessageIsCapped) {
  auto d = header(Action::error, 6);
  std::string msg(5000, 'x');
  d.insert(d.end(), msg.begin(), msg.end());
  auto r = parse_reply(d, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->action, Action::error);
  EXPECT_EQ(r->error.size(), kMaxErrorMessage);
}

TEST(UdpTrackerMessage, UnknownActionAndTinyDatagramsAreRefused) {
  EXPECT_EQ(parse_reply(header(static_cast<Action>(7), 1), false).status().code(), ErrorCode::protocol_error);
  EXPECT_EQ(parse_reply(bytes({0, 0, 0}), false).status().code(), ErrorCode::protocol_error);
  EXPECT_EQ(parse_reply({}, false).status().code(), ErrorCode::protocol_error);
}

}  // namespace
}  // namespace fluxo::udp_tracker
