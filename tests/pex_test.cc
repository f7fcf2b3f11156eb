// Peer exchange (BEP 11): the ut_pex message codec and what one connection
// sends and takes, over in-memory writers (no sockets).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/extension_handshake.h"
#include "core/pex_message.h"
#include "pipeline/extension_protocol.h"

namespace fluxo {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(PexMessage, RoundTripsIpv4AndIpv6WithFlags) {
  PexMessage m;
  m.added = {{"10.0.0.1", 6881}, {"2001:db8::1", 51413}, {"10.0.0.2", 1}};
  m.added_flags = {kPexSeed | kPexOutgoing, kPexUtp, 0};
  m.dropped = {{"192.168.1.9", 80}, {"::1", 443}};
  auto back = parse_pex_message(bytes(encode_pex_message(m)));
  ASSERT_TRUE(back) << back.status().to_string();
  // IPv4 first, then IPv6, each with its flags.
  ASSERT_EQ(back->added.size(), 3u);
  EXPECT_EQ(back->added[0], (PeerAddress{"10.0.0.1", 6881}));
  EXPECT_EQ(back->added[1], (PeerAddress{"10.0.0.2", 1}));
  EXPECT_EQ(back->added[2], (PeerAddress{"2001:db8::1", 51413}));
  EXPECT_EQ(back->added_flags, (std::vector<std::uint8_t>{kPexSeed | kPexOutgoing, 0, kPexUtp}));
  EXPECT_EQ(back->dropped, (std::vector<PeerAddress>{{"192.168.1.9", 80}, {"::1", 443}}));
}

TEST(PexMessage, HostileMessagesAreRefusedOrBounded) {
  // A list that is not whole entries, a non-dictionary, garbage, too large.
  EXPECT_FALSE(parse_pex_message(bytes("d5:added5:abcdee")));
  EXPECT_FALSE(parse_pex_message(bytes("d6:added67:abcdefghijklmnopqe")));
  EXPECT_FALSE(parse_pex_message(bytes("li1ee")));
  EXPECT_FALSE(parse_pex_message(bytes("garbage")));
  EXPECT_FALSE(parse_pex_message(bytes("d5:added" + std::to_string(kMaxPexMessage) + ":" +
                                       std::string(kMaxPexMessage, 'x') + "e")));
  // Port 0 skipped; flags missing or short count as 0; other keys ignored.
  const std::string entries = std::string("\x0a\x00\x00\x01\x00\x00", 6) + std::string("\x0a\x00\x00\x02\x1a\xe1", 6);
  auto m = parse_pex_message(bytes("d5:added12:" + entries + "1:xi1ee"));
  ASSERT_TRUE(m) << m.status().to_string();
  ASSERT_EQ(m->added.size(), 1u);
  EXPECT_EQ(m->added[0], (PeerAddress{"10.0.0.2", 6881}));
  EXPECT_EQ(m->added_flags, std::vector<std::uint8_t>{0});
  // Lists are cut at kMaxPexPeers.
  std::string many;
  for (int i = 0; i < 1000; ++i) many += std::string("\x0a\x01", 2) + char(i >> 8) + char(i & 0xff) + "\x1a\xe1";
  auto cut = parse_pex_message(bytes("d5:added" + std::to_string(many.size()) + ":" + many + "e"));
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->added.size(), kMaxPexPeers);
}

wire::Handshake extended_handshake() {
  wire::Handshake h;
  h.reserved[ExtensionProtocol::kReservedByte] |= ExtensionProtocol::kReservedBit;
  return h;
}

// The ut_pex messages in `out` (extended id `id`), parsed; `out` cleared.
std::vector<PexMessage> pex_sent(MessageWriter& out, std::uint8_t id) {
  std::vector<PexMessage> found;
  auto& b = out.buffer();
  std::size_t at = 0;
  while (at + 4 <= b.size()) {
    const std::uint32_t len = (std::uint32_t{b[at]} << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
    if (len >= 2 && b[at + 4] == 20 && b[at + 5] == id) {
      auto m = parse_pex_message(std::span(b).subspan(at + 6, len - 2));
      EXPECT_TRUE(m);
      if (m) found.push_back(*m);
    }
    at += 4 + len;
  }
  b.clear();
  return found;
}

struct Connection {
  std::unique_ptr<ExtensionProtocol> ext;
  MessageWriter out;
};

// A connection whose peer took ut_pex under id 7 (and sent 'p' when given).
Connection connect(const ExtensionConfig& config, PeerAddress remote, bool incoming,
                   std::optional<std::uint16_t> port = std::nullopt) {
  Connection c{std::make_unique<ExtensionProtocol>(config, remote, incoming), {}};
  EXPECT_TRUE(c.ext->on_handshake(extended_handshake(), c.out));
  std::string hs = "d1:md6:ut_pexi7ee";
  if (port) hs += "1:pi" + std::to_string(*port) + "e";
  hs += "e";
  EXPECT_TRUE(c.ext->on_extended(0, bytes(hs), c.out));
  c.out.buffer().clear();
  return c;
}

ExtensionConfig pex_config(std::chrono::milliseconds interval) {
  ExtensionConfig c;
  c.client = "fluxo/test";
  c.pex = std::make_shared<PexRoster>();
  c.pex_interval = interval;
  return c;
}

TEST(PeerExchange, EachPeerHearsOfTheOthersThenOfWhoLeft) {
  auto config = pex_config(std::chrono::milliseconds(0));
  auto a = connect(config, {"10.0.0.1", 6881}, false);
  auto b = connect(config, {"10.0.0.2", 6881}, false);
  // Incoming: listed at its IP and the port it said it listens on.
  auto c = connect(config, {"10.0.0.3", 0}, true, 7000);
  // Incoming without a port: not listed (nobody could dial it).
  auto d = connect(config, {"10.0.0.4", 0}, true);

  b.ext->tick(b.out);
  auto to_b = pex_sent(b.out, 7);
  ASSERT_EQ(to_b.size(), 1u);
  EXPECT_EQ(to_b[0].added, (std::vector<PeerAddress>{{"10.0.0.1", 6881}, {"10.0.0.3", 7000}}));
  EXPECT_EQ(to_b[0].added_flags, (std::vector<std::uint8_t>{kPexOutgoing, 0}));
  // Told once: nothing new, nothing sent.
  b.ext->tick(b.out);
  EXPECT_TRUE(pex_sent(b.out, 7).empty());
  // a goes: b hears it dropped.
  a.ext.reset();
  b.ext->tick(b.out);
  auto later = pex_sent(b.out, 7);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_TRUE(later[0].added.empty());
  EXPECT_EQ(later[0].dropped, (std::vector<PeerAddress>{{"10.0.0.1", 6881}}));
  // Not the peer itself: c hears of b only.
  c.ext->tick(c.out);
  auto to_c = pex_sent(c.out, 7);
  ASSERT_EQ(to_c.size(), 1u);
  EXPECT_EQ(to_c[0].added, (std::vector<PeerAddress>{{"10.0.0.2", 6881}}));
}

// BEP 10: a later extended handshake may carry only what changed.
TEST(PeerExchange, ALaterExtendedHandshakeAddsToTheFirst) {
  auto config = pex_config(std::chrono::milliseconds(0));
  auto a = connect(config, {"10.0.0.1", 6881}, false);
  auto b = connect(config, {"10.0.0.2", 6881}, false);
  ASSERT_TRUE(b.ext->on_extended(0, bytes("d1:md12:ut_holepunchi4eee"), b.out));
  EXPECT_EQ(b.ext->theirs()->id_of("ut_pex"), 7);
  EXPECT_EQ(b.ext->theirs()->id_of("ut_holepunch"), 4);
  b.ext->tick(b.out);
  EXPECT_EQ(pex_sent(b.out, 7).size(), 1u);
}

TEST(PeerExchange, AtMostOncePerIntervalEachWay) {
  auto config = pex_config(std::chrono::hours(1));
  std::vector<PeerAddress> learned;
  config.on_pex_peers = [&](std::vector<PeerAddress> p) { learned.insert(learned.end(), p.begin(), p.end()); };
  auto a = connect(config, {"10.0.0.1", 6881}, false);
  auto b = connect(config, {"10.0.0.2", 6881}, false);
  b.ext->tick(b.out);
  EXPECT_EQ(pex_sent(b.out, 7).size(), 1u);
  auto c = connect(config, {"10.0.0.3", 6881}, false);
  b.ext->tick(b.out);
  EXPECT_TRUE(pex_sent(b.out, 7).empty());  // c waits for the next interval
  // What the peer sends: taken once, then ignored within the interval.
  PexMessage m;
  m.added = {{"10.9.9.9", 1000}};
  ASSERT_TRUE(b.ext->on_extended(ExtensionProtocol::kUtPex, bytes(encode_pex_message(m)), b.out));
  m.added = {{"10.9.9.8", 1000}};
  ASSERT_TRUE(b.ext->on_extended(ExtensionProtocol::kUtPex, bytes(encode_pex_message(m)), b.out));
  EXPECT_EQ(learned, (std::vector<PeerAddress>{{"10.9.9.9", 1000}}));
  // A malformed one ends the connection.
  EXPECT_FALSE(b.ext->on_extended(ExtensionProtocol::kUtPex, bytes("d5:added1:xe"), b.out));
}

TEST(PeerExchange, APeerCanTeachOneConnectionAtMostABoundedNumberOfAddresses) {
  auto config = pex_config(std::chrono::milliseconds(0));
  std::size_t learned = 0;
  config.on_pex_peers = [&](std::vector<PeerAddress> p) { learned += p.size(); };
  auto a = connect(config, {"10.0.0.1", 6881}, false);
  for (int round = 0; round < 20; ++round) {
    PexMessage m;
    for (int i = 0; i < 200; ++i) m.added.push_back({"10." + std::to_string(round) + ".0." + std::to_string(i), 80});
    ASSERT_TRUE(a.ext->on_extended(ExtensionProtocol::kUtPex, bytes(encode_pex_message(m)), a.out));
  }
  EXPECT_EQ(learned, ExtensionProtocol::kMaxPexLearned);
}

TEST(PeerExchange, APrivateTorrentOffersNoneSendsNoneAndTakesNone) {
  ExtensionConfig config;  // what a private torrent gets: no PexRoster
  config.client = "fluxo/test";
  bool called = false;
  config.on_pex_peers = [&](std::vector<PeerAddress>) { called = true; };
  Connection a{std::make_unique<ExtensionProtocol>(config, PeerAddress{"10.0.0.1", 6881}, false), {}};
  ASSERT_TRUE(a.ext->on_handshake(extended_handshake(), a.out));
  auto ours = parse_extension_handshake(std::span(a.out.buffer()).subspan(6));
  ASSERT_TRUE(ours);
  EXPECT_FALSE(ours->id_of("ut_pex"));
  a.out.buffer().clear();
  ASSERT_TRUE(a.ext->on_extended(0, bytes("d1:md6:ut_pexi7eee"), a.out));
  a.ext->tick(a.out);
  EXPECT_TRUE(a.out.empty());
  PexMessage m;
  m.added = {{"10.9.9.9", 1000}};
  ASSERT_TRUE(a.ext->on_extended(ExtensionProtocol::kUtPex, bytes(encode_pex_message(m)), a.out));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace fluxo
