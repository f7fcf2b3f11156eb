#include "net/wire.h"

#include <gtest/gtest.h>

#include <vector>

namespace fluxo::wire {
namespace {

std::vector<std::uint8_t> body(std::initializer_list<int> bytes) {
  std::vector<std::uint8_t> v;
  for (int b : bytes) v.push_back(static_cast<std::uint8_t>(b));
  return v;
}

TEST(Wire, HandshakeRoundTrip) {
  Handshake h;
  h.info_hash.bytes.fill(0xab);
  h.peer_id.fill('x');
  h.set_fast();
  std::array<std::uint8_t, kHandshakeSize> buf{};
  encode_handshake(h, buf);
  EXPECT_EQ(buf[0], 19);
  EXPECT_EQ(std::string(buf.begin() + 1, buf.begin() + 20), "BitTorrent protocol");
  auto d = decode_handshake(buf);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->info_hash, h.info_hash);
  EXPECT_EQ(d->peer_id, h.peer_id);
  EXPECT_TRUE(d->supports_fast());
}

TEST(Wire, HandshakeWithWrongProtocolIsRefused) {
  std::array<std::uint8_t, kHandshakeSize> buf{};
  encode_handshake(Handshake{}, buf);
  buf[5] = 'X';
  EXPECT_FALSE(decode_handshake(buf));
  buf[5] = 'o';
  buf[0] = 18;
  EXPECT_FALSE(decode_handshake(buf));
}

TEST(Wire, EncodesRequestAndDecodesItBack) {
  std::uint8_t out[kBlockRefSize];
  BlockRef b{PieceIndex(7), 16384, 16384};
  ASSERT_EQ(encode_block_ref(MsgId::request, b, out), 17u);
  EXPECT_EQ(read_u32(out), 13u);
  auto m = decode_message(std::span<const std::uint8_t>(out + 4, 13), 10);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, MsgId::request);
  EXPECT_EQ(m->piece, PieceIndex(7));
  EXPECT_EQ(m->begin, 16384u);
  EXPECT_EQ(m->length, 16384u);
}

TEST(Wire, EncodesHaveAndSimpleMessages) {
  std::uint8_t out[16];
  EXPECT_EQ(encode_index(MsgId::have, PieceIndex(0x01020304), out), 9u);
  EXPECT_EQ(body({0, 0, 0, 5, 4, 1, 2, 3, 4}), std::vector<std::uint8_t>(out, out + 9));
  EXPECT_EQ(encode_simple(MsgId::interested, out), 5u);
  EXPECT_EQ(body({0, 0, 0, 1, 2}), std::vector<std::uint8_t>(out, out + 5));
  EXPECT_EQ(encode_keepalive(out), 4u);
  EXPECT_EQ(read_u32(out), 0u);
}

TEST(WireHostile, HaveOutOfRangeIsAViolation) {
  auto b = body({4, 0, 0, 0, 10});
  EXPECT_FALSE(decode_message(b, 10));
  auto ok = body({4, 0, 0, 0, 9});
  EXPECT_TRUE(decode_message(ok, 10));
}

TEST(WireHostile, WrongSizedMessagesAreViolations) {
  EXPECT_FALSE(decode_message(body({0, 1}), 10));            // choke with payload
  EXPECT_FALSE(decode_message(body({4, 0, 0, 1}), 10));      // short have
  EXPECT_FALSE(decode_message(body({6, 0, 0, 0, 1}), 10));   // short request
  EXPECT_FALSE(decode_message(body({7, 0, 0, 0, 1}), 10));   // short piece
  EXPECT_FALSE(decode_message(body({}), 10));
}

TEST(WireHostile, RequestLengthsAreBounded) {
  auto zero = body({6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_FALSE(decode_message(zero, 10));
  auto huge = body({6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1});  // 128 KiB + 1
  EXPECT_FALSE(decode_message(huge, 10));
  auto max = body({6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0});  // 128 KiB
  EXPECT_TRUE(decode_message(max, 10));
}

TEST(WireHostile, BitfieldMustHaveTheExactSize) {
  EXPECT_TRUE(decode_message(body({5, 0xff, 0xc0}), 10));
  EXPECT_FALSE(decode_message(body({5, 0xff}), 10));
  EXPECT_FALSE(decode_message(body({5, 0xff, 0xc0, 0}), 10));
}

TEST(WireHostile, MaxMessageLengthCoversBlocksAndBitfields) {
  EXPECT_EQ(max_message_length(10), 9u + kMaxBlockLength);
  EXPECT_EQ(max_message_length(8'000'000), 1u + 1'000'000u);
  // 0xFFFFFFFF is above any limit: the connection closes before allocating.
  EXPECT_LT(max_message_length(UINT32_MAX - 8), 0xFFFFFFFFu);
}

TEST(Wire, UnknownIdsAreIgnoredNotViolations) {
  auto m = decode_message(body({99, 1, 2, 3}), 10);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload.size(), 3u);
}

}  // namespace
}  // namespace fluxo::wire
