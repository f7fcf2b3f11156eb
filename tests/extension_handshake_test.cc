// BEP 10: the extended handshake's codec (bounded: hostile values are
// dropped, oversized or malformed payloads refused) and one connection's
// ExtensionProtocol (our bit, our handshake only to a peer that set its bit,
// the peer's kept); BEP 9's messages and the metadata served over it.
#include "core/extension_handshake.h"

#include <gtest/gtest.h>

#include "core/metadata_message.h"
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
  ExtensionConfig config;
  config.client = "fluxo/9.9";
  config.listen_port = 7000;
  config.reqq = 2048;
  ExtensionProtocol ext(config, PeerAddress{"127.0.0.1", 51413});
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

TEST(MetadataMessage, EncodesAndParsesEachType) {
  auto req = parse_metadata_message(bytes(encode_metadata_request(3)));
  ASSERT_TRUE(req) << req.status().to_string();
  EXPECT_EQ(req->type, MetadataType::request);
  EXPECT_EQ(req->piece, 3u);
  EXPECT_EQ(encode_metadata_reject(2), "d8:msg_typei2e5:piecei2ee");
  const std::string data = encode_metadata_data(1, 20000, "xyz");
  EXPECT_EQ(data, "d8:msg_typei1e5:piecei1e10:total_sizei20000ee" "xyz");
  auto d = parse_metadata_message(bytes(data));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, MetadataType::data);
  EXPECT_EQ(d->total_size, 20000);
  EXPECT_EQ(std::string(d->data.begin(), d->data.end()), "xyz");
  EXPECT_EQ(metadata_pieces(16384), 1u);
  EXPECT_EQ(metadata_pieces(16385), 2u);
}

TEST(MetadataMessage, HostileMessagesAreRefused) {
  // An unknown msg_type is not an error: BEP 9 says to ignore it.
  auto unknown = parse_metadata_message(bytes("d8:msg_typei7e5:piecei0ee"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->type, MetadataType::other);
  for (const std::string raw : {"d8:msg_typei0ee", "d5:piecei0ee",
                                "d8:msg_typei0e5:piecei-1ee", "d8:msg_typei0e5:piecei0eextra",
                                "d8:msg_typei1e5:piecei0ee", "li1ee", "garbage"}) {
    EXPECT_FALSE(parse_metadata_message(bytes(raw))) << raw;
  }
  EXPECT_FALSE(parse_metadata_message(bytes(encode_metadata_data(0, 1, std::string(kMetadataPiece + 2000, 'x')))));
}

// The peer's answers arrive under the id IT gave ut_metadata, never ours.
std::vector<std::pair<std::uint8_t, std::string>> extended_messages(std::vector<std::uint8_t>& b) {
  std::vector<std::pair<std::uint8_t, std::string>> out;
  for (std::size_t at = 0; at + 6 <= b.size();) {
    const std::uint32_t len = b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3];
    EXPECT_EQ(b[at + 4], 20);
    out.emplace_back(b[at + 5], std::string(b.begin() + static_cast<long>(at) + 6, b.begin() + static_cast<long>(at) + 4 + len));
    at += 4 + len;
  }
  b.clear();
  return out;
}

TEST(ExtensionProtocol, ServesMetadataPiecesUnderThePeersIdAndRejectsTheRest) {
  auto info = std::make_shared<const std::string>(40000, 'i');  // 3 pieces, the last 7232 bytes
  ExtensionConfig config;
  config.client = "fluxo/9.9";
  config.metadata = info;
  ExtensionProtocol ext(config, PeerAddress{"10.0.0.9", 1});
  MessageWriter out;
  ASSERT_TRUE(ext.on_handshake(peer_handshake(true), out));
  auto sent = extended_messages(out.buffer());
  ASSERT_EQ(sent.size(), 1u);
  auto ours = parse_extension_handshake(bytes(sent[0].second));
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->id_of("ut_metadata"), ExtensionProtocol::kUtMetadata);
  EXPECT_EQ(ours->metadata_size, 40000);
  // No answer before the peer says which id it reads ut_metadata under.
  ASSERT_TRUE(ext.on_extended(ExtensionProtocol::kUtMetadata, bytes(encode_metadata_request(0)), out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(ext.on_extended(0, bytes("d1:md11:ut_metadatai7eee"), out));
  ASSERT_TRUE(ext.on_extended(ExtensionProtocol::kUtMetadata, bytes(encode_metadata_request(2)), out));
  ASSERT_TRUE(ext.on_extended(ExtensionProtocol::kUtMetadata, bytes(encode_metadata_request(3)), out));
  auto replies = extended_messages(out.buffer());
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].first, 7);
  auto last = parse_metadata_message(bytes(replies[0].second));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->type, MetadataType::data);
  EXPECT_EQ(last->total_size, 40000);
  EXPECT_EQ(last->data.size(), 40000u - 2 * kMetadataPiece);
  auto beyond = parse_metadata_message(bytes(replies[1].second));
  ASSERT_TRUE(beyond);
  EXPECT_EQ(beyond->type, MetadataType::reject);
  // A peer asking again and again gets rejects past the budget.
  int data = 0, rejects = 0;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(ext.on_extended(ExtensionProtocol::kUtMetadata, bytes(encode_metadata_request(0)), out));
    for (auto& [id, body] : extended_messages(out.buffer())) {
      auto r = parse_metadata_message(bytes(body));
      ASSERT_TRUE(r);
      (r->type == MetadataType::data ? data : rejects)++;
    }
  }
  EXPECT_EQ(data, static_cast<int>(ExtensionProtocol::kMetadataRequestsPerPiece * 3 - 1));
  EXPECT_EQ(rejects, 40 - data);
  // A malformed ut_metadata message ends the connection.
  EXPECT_FALSE(ext.on_extended(ExtensionProtocol::kUtMetadata, bytes("garbage"), out));
}

}  // namespace
}  // namespace fluxo
