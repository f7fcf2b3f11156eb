// What an HTTP tracker's reply means: pure functions of the bytes the tracker
// sent (status line, header fields, body), with no socket in sight, so that a
// fuzzer can feed them anything. net/tracker_client.cc reads the bytes and
// asks these.
//
// Untrusted input: the header block, the body (Content-Length, chunked or up
// to the end of the connection) and the peer list are all capped; nothing is
// decompressed (content encodings are refused); a reply cut short is an
// error, never a shorter body. Messages carry no URL: the caller prefixes
// "tracker URL: ".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/tracker_response.h"

namespace fluxo {

struct TrackerReplyLimits {
  std::size_t max_body = 2u << 20;     // bytes of body, after de-chunking
  std::size_t max_header = 64u << 10;  // status line and header fields together
  std::size_t max_peers = 2000;        // passed to parse_announce_response
};

struct TrackerReply {
  // A 3xx's Location, exactly as sent (relative or absolute; the caller
  // resolves it and applies its redirect policy). Empty: `response` is set.
  std::string redirect;
  AnnounceResponse response;
};

// True once `raw`, the bytes received so far, settles the outcome: a whole
// reply (by Content-Length or the chunked terminator), a status whose body
// does not matter, or a reply already known to be bad. A reply without
// either framing is only complete when the connection ends. Cheap enough to
// call after every read.
bool tracker_reply_complete(std::string_view raw, const TrackerReplyLimits& limits = {});

// The HTTP outcome alone: a redirect, or the body of a 200 (for a scrape,
// whose body is not an announce reply). Errors as below, minus the body's.
struct HttpReply {
  std::string redirect;
  std::string body;
};
Result<HttpReply> interpret_http_reply(std::string_view raw, const TrackerReplyLimits& limits = {});

// The outcome of a reply whose bytes are `raw`: everything received until
// the connection ended or tracker_reply_complete() said so (bytes after a
// framed body are ignored). Errors: network_error for HTTP-level refusals
// (a status other than 200, a content encoding), limit_exceeded for the
// caps, protocol_error for malformed or truncated replies, and whatever
// parse_announce_response reports for the body (a 'failure reason' included).
Result<TrackerReply> interpret_tracker_reply(std::string_view raw,
                                             const TrackerReplyLimits& limits = {});

}  // namespace fluxo
