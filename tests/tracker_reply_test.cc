// interpret_tracker_reply and tracker_reply_complete: the HTTP side of a
// tracker's reply judged from its raw bytes.
#include "net/tracker_reply.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace fluxo {
namespace {

using namespace std::string_literals;

// interval 900, one compact peer 127.0.0.1:6881.
const std::string kBody =
    "d8:intervali900e5:peers6:\x7f\x00\x00\x01\x1a\xe1"
    "e"s;

std::string reply(const std::string& head, const std::string& body) {
  return head + "\r\n" + body;
}

std::string ok_with_length(const std::string& body) {
  return reply("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n", body);
}

TEST(TrackerReply, ValidBodyWithContentLengthIsParsed) {
  std::string raw = ok_with_length(kBody);
  EXPECT_TRUE(tracker_reply_complete(raw));
  auto r = interpret_tracker_reply(raw);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_TRUE(r->redirect.empty());
  EXPECT_EQ(r->response.interval, 900);
  ASSERT_EQ(r->response.peers.size(), 1u);
  EXPECT_EQ(r->response.peers[0], (PeerAddress{"127.0.0.1", 6881}));
}

TEST(TrackerReply, UnframedBodyIsCompleteOnlyAtTheEnd) {
  std::string raw = reply("HTTP/1.0 200 OK\r\n", kBody);
  EXPECT_FALSE(tracker_reply_complete(raw));
  auto r = interpret_tracker_reply(raw);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->response.interval, 900);
}

TEST(TrackerReply, BareLineFeedsAreAccepted) {
  auto r = interpret_tracker_reply(
      "HTTP/1.0 200 OK\nContent-Length: " + std::to_string(kBody.size()) + "\n\n" + kBody);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->response.peers.size(), 1u);
}

TEST(TrackerReply, RedirectGivesTheLocation) {
  std::string raw =
      reply("HTTP/1.1 302 Found\r\nLocation: /other?x=1\r\nContent-Length: 100\r\n", "");
  EXPECT_TRUE(tracker_reply_complete(raw));  // the body does not matter
  auto r = interpret_tracker_reply(raw);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->redirect, "/other?x=1");
}

TEST(TrackerReply, RedirectWithoutLocationIsAnError) {
  auto r = interpret_tracker_reply(reply("HTTP/1.1 301 Moved\r\n", ""));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::network_error);
  EXPECT_NE(r.status().message().find("HTTP 301"), std::string::npos) << r.status().message();
}

TEST(TrackerReply, ServerErrorIsAnError) {
  std::string raw = reply("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n", "oops!");
  EXPECT_TRUE(tracker_reply_complete(raw));
  auto r = interpret_tracker_reply(raw);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::network_error);
  EXPECT_EQ(r.status().message(), "HTTP 500 Internal Server Error");
}

TEST(TrackerReply, UnlistedStatusCodeIsAnError) {
  auto r = interpret_tracker_reply(reply("HTTP/1.1 900 Whatever\r\n", kBody));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "HTTP 900 Whatever");
}

TEST(TrackerReply, GzipIsRefused) {
  auto r = interpret_tracker_reply(
      reply("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n", "\x1f\x8b\x08"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("content encoding \"gzip\""), std::string::npos)
      << r.status().message();
}

TEST(TrackerReply, IdentityEncodingIsAccepted) {
  auto r =
      interpret_tracker_reply(reply("HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n", kBody));
  EXPECT_TRUE(r) << r.status().message();
}

TEST(TrackerReply, DeclaredLengthOverTheCapIsRefusedBeforeTheBody) {
  TrackerReplyLimits lim;
  lim.max_body = 1000;
  std::string raw = reply("HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n", "d");
  EXPECT_TRUE(tracker_reply_complete(raw, lim));
  auto r = interpret_tracker_reply(raw, lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::limit_exceeded);
}

TEST(TrackerReply, UnframedBodyOverTheCapIsRefused) {
  TrackerReplyLimits lim;
  lim.max_body = 1000;
  std::string raw = reply("HTTP/1.1 200 OK\r\n", std::string(1001, 'x'));
  EXPECT_TRUE(tracker_reply_complete(raw, lim));
  auto r = interpret_tracker_reply(raw, lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::limit_exceeded);
}

TEST(TrackerReply, ChunkedBodyOverTheCapIsRefused) {
  TrackerReplyLimits lim;
  lim.max_body = 1000;
  auto r = interpret_tracker_reply(reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n",
                                         "1f4\r\n" + std::string(500, 'x') + "\r\n1f5\r\n"),
                                   lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::limit_exceeded);
}

TEST(TrackerReply, HugeHeaderBlockIsRefused) {
  std::string raw = "HTTP/1.1 200 OK\r\n";
  while (raw.size() < (70u << 10)) raw += "X-Filler: " + std::string(100, 'f') + "\r\n";
  EXPECT_TRUE(tracker_reply_complete(raw));  // no need to wait for its end
  auto r = interpret_tracker_reply(raw);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::limit_exceeded);
}

TEST(TrackerReply, TruncatedBodyIsAnError) {
  std::string raw = reply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n", kBody);
  EXPECT_FALSE(tracker_reply_complete(raw));
  auto r = interpret_tracker_reply(raw);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::protocol_error);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
}

TEST(TrackerReply, TruncatedHeaderIsAnError) {
  auto r = interpret_tracker_reply("HTTP/1.1 200 OK\r\nContent-Len");
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
  EXPECT_FALSE(interpret_tracker_reply(""));
}

TEST(TrackerReply, ChunkedBodyIsDecoded) {
  const std::string& body = kBody;
  std::string raw = reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n", "");
  char hex[8];
  std::snprintf(hex, sizeof hex, "%zx", body.size() - 16);
  raw += "5;ext=1\r\n" + body.substr(0, 5) + "\r\n1\r\n" + body.substr(5, 1) + "\r\nA\r\n" +
         body.substr(6, 10) + "\r\n" + hex + "\r\n" + body.substr(16) +
         "\r\n0\r\nX-Trailer: 1\r\n\r\n";
  EXPECT_TRUE(tracker_reply_complete(raw));
  EXPECT_FALSE(tracker_reply_complete(raw.substr(0, raw.size() - 2)));
  auto r = interpret_tracker_reply(raw);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->response.interval, 900);
  EXPECT_EQ(r->response.peers.size(), 1u);
}

TEST(TrackerReply, BadChunkSizeIsAnErrorWithItsOffset) {
  std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string raw = head + "5\r\nabcde\r\nzz\r\nxx\r\n0\r\n\r\n";
  EXPECT_TRUE(tracker_reply_complete(raw));
  auto r = interpret_tracker_reply(raw);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::protocol_error);
  EXPECT_NE(r.status().message().find("bad chunk size"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().offset(), head.size() + 10);
}

TEST(TrackerReply, ChunkSizeOverflowIsAnError) {
  auto r = interpret_tracker_reply(reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n",
                                         "fffffffffffffffff\r\nx\r\n0\r\n\r\n"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::protocol_error);
}

TEST(TrackerReply, TruncatedChunkedBodyIsAnError) {
  auto r = interpret_tracker_reply(
      reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n", "10\r\nonly eight\r\n"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
}

TEST(TrackerReply, UnknownTransferEncodingIsRefused) {
  auto r = interpret_tracker_reply(
      reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n", "x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::unsupported);
}

TEST(TrackerReply, BadOrConflictingContentLengthIsAnError) {
  EXPECT_FALSE(interpret_tracker_reply(reply("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n", kBody)));
  EXPECT_FALSE(
      interpret_tracker_reply(reply("HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n", kBody)));
  EXPECT_FALSE(interpret_tracker_reply(
      reply("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n", kBody)));
}

TEST(TrackerReply, GarbageIsNotAnHttpReply) {
  auto r = interpret_tracker_reply("d8:intervali900ee\r\n\r\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::protocol_error);
}

TEST(TrackerReply, FailureReasonIsReported) {
  auto r = interpret_tracker_reply(ok_with_length("d14:failure reason9:not todaye"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::protocol_error);
  EXPECT_NE(r.status().message().find("not today"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace fluxo
