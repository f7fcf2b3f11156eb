// BEP 10: the extended handshake's codec (bounded: hostile values are
// dropped, oversized or malformed payloads refused) and one connection's
// ExtensionProtocol (our bit, our handshake only to a peer that set its bit,
// the peer's kept).
#include "core/extension_handshake.h"

#include <gtest/gtest.h>

#include "net/message_stream.h"
#include "pipeline/extension_protocol.h"

namespace fluxo {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(ExtensionHandshake, RoundTrips) {
  ExtensionHandshake h;
  h.m = {{"ut_metadata", 3}, {"ut_pex", 1}};
  h.client = "fluxo/0.1.0";
  h.listen_port = 6881;
  h.reqq = 2048;
  h.your_ip = std::string("\x7f\x00\x00\x01", 4);
  h.metadata_size = 31235;
  const std::string enc = encode_extension_handshake(h);
  EXPECT_EQ(enc.substr(0, 22), "d1:md11:ut_metadatai3e");  // canonical: keys sorted
  auto back = parse_extension_handshake(bytes(enc));
  ASSERT_TRUE(back) << back.status().to_string();
  EXPECT_EQ(back->m, h.m);
  EXPECT_EQ(back->id_of("ut_metadata"), 3);
  EXPECT_EQ(back->id_of("lt_donthave"), std::nullopt);
  EXPECT_EQ(back->client, h.client);
  EXPECT_EQ(back->listen_port, 6881);
  EXPECT_EQ(back->reqq, 2048u);
  EXPECT_EQ(back->your_ip, h.your_ip);
  EXPECT_EQ(back->metadata_size, 31235);
}

TEST(ExtensionHandshake, HostileValuesAreDroppedNotTrusted) {
  const std::string raw = "d1:md6:ut_pexi0e8:ut_zeroxi256e6:ut_negi-1e6:ut_str1:xe1:pi70000e4:reqqi99999999e"
                          "1:v300:" + std::string(300, 'v') + "6:yourip3:abc13:metadata_sizei99999999999ee";
  auto h = parse_extension_handshake(bytes(raw));
  ASSERT_TRUE(h) << h.status().to_string();
  EXPECT_TRUE(h->m.empty());  // 0 disables, 256 and -1 are out of range, a string is no id
  EXPECT_EQ(h->listen_port, std::nullopt);
  EXPECT_EQ(h->reqq, static_cast<std::uint32_t>(kMaxReqq));
  EXPECT_EQ(h->client.size(), kMaxClientName);
  EXPECT_EQ(h->your_ip, std::nullopt);
  EXPECT_EQ(h->metadata_size, std::nullopt);
  // At most kMaxExtensions names are kept.
  std::string big = "d1:md";
  for (int i = 0; i < 200; ++i) {
    std::string name = "ext" + std::to_string(1000 + i);
    big += std::to_string(name.size()) + ":" + name + "i" + std::to_string(1 + i % 255) + "e";
  }
  big += "ee";
  auto capped = parse_extension_handshake(bytes(big));
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->m.size(), kMaxExtensions);
}

TEST(ExtensionHandshake, MalformedOrOversizedIsAnError) {
  EXPECT_EQ(parse_extension_handshake(bytes("li1ee")).status().code(), ErrorCode::protocol_error);
  EXPECT_EQ(parse_extension_handshake(bytes("d1:m")).status().code(), ErrorCode::protocol_error);
  EXPECT_EQ(parse_extension_handshake(bytes("")).status().code(), ErrorCode::protocol_error);
  const std::string huge = "d1:v" + std::to_string(kMaxExtensionHandshake) + ":" + std::string(kMaxExtensionHandshake, 'x') + "e";
  EXPECT_EQ(parse_extension_handshake(bytes(huge)).status().code(), ErrorCode::protocol_error);
}

wire::Handshake peer_handshake(bool extended) {
  wire::Handshake h;
  if (extended) h.reserved[ExtensionProtocol::kReservedByte] |= ExtensionProtocol::kReservedBit;
  return h;
}

TEST(ExtensionProtocol, OurHandshakeGoesOnlyToAPeerThatSetTheBit) {
  ExtensionProtocol ext({"fluxo/9.9", 7000, 2048}, PeerAddress{"127.0.0.1", 51413});
  wire::Handshake ours;
  ext.reserve(ours);
  EXPECT_EQ(ours.reserved[5] & 0x10, 0x10);
  EXPECT_TRUE(ours.supports_fast() == false);  // only its own bit

  MessageWriter none;
  ASSERT_TRUE(ext.on_handshake(peer_handshake(false), none));
  EXPECT_TRUE(none.empty());
  // Without the bit on both sides an extended message is a violation.
  EXPECT_FALSE(ext.on_extended(0, bytes("de"), none));

  MessageWriter out;
  ASSERT_TRUE(ext.on_handshake(peer_handshake(true), out));
  const auto& b = out.buffer();
  ASSERT_GT(b.size(), 6u);
  EXPECT_EQ(b[4], 20);  // extended
  EXPECT_EQ(b[5], 0);   // the handshake
  auto sent = parse_extension_handshake(std::span(b).subspan(6));
  ASSERT_TRUE(sent) << sent.status().to_string();
  EXPECT_EQ(sent->client, "fluxo/9.9");
  EXPECT_EQ(sent->listen_port, 7000);
  EXPECT_EQ(sent->reqq, 2048u);
  EXPECT_EQ(sent->your_ip, std::string("\x7f\x00\x00\x01", 4));
  EXPECT_TRUE(sent->m.empty());  // nothing offered yet

  // The peer's is kept; messages for ids we never gave out are ignored.
  ASSERT_TRUE(ext.on_extended(0, bytes("d1:md6:ut_pexi9ee1:v4:peere"), out));
  ASSERT_TRUE(ext.theirs());
  EXPECT_EQ(ext.theirs()->id_of("ut_pex"), 9);
  EXPECT_EQ(ext.theirs()->client, "peer");
  EXPECT_TRUE(ext.on_extended(7, bytes("anything"), out));
  EXPECT_FALSE(ext.on_extended(0, bytes("not bencode"), out));
}

}  // namespace
}  // namespace fluxo
