#include "net/tracker_reply.h"

#include <Poco/Exception.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/String.h>

#include <algorithm>
#include <cstdint>
#include <sstream>

namespace fluxo {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Offset just past the empty line that ends the header block, or npos. Lines
// may end in CRLF or, from sloppy servers, LF alone.
std::size_t header_end(std::string_view raw) {
  std::size_t crlf = raw.find("\n\r\n");
  std::size_t lf = raw.find("\n\n");
  return std::min(crlf == npos ? npos : crlf + 3, lf == npos ? npos : lf + 2);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The body of a chunked reply (RFC 9112 section 7.1): hex size, optional
// extensions, CRLF, data, CRLF; a zero size ends it, then trailer fields and
// an empty line. Sets `need_more` when `in` stops before the end.
Status dechunk(std::string_view in, std::size_t base, std::size_t max, std::string& out,
               bool& need_more) {
  std::size_t pos = 0;
  auto line_end = [&](std::size_t from) { return in.find('\n', from); };
  for (;;) {
    std::size_t nl = line_end(pos);
    if (nl == npos) {
      need_more = true;
      return Status::ok();
    }
    std::string_view line = in.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view digits = trim(line.substr(0, line.find(';')));
    if (digits.empty() || digits.size() > 16) {
      return Status(ErrorCode::protocol_error, "bad chunk size", base + pos);
    }
    std::uint64_t size = 0;
    for (char c : digits) {
      int d = hex_digit(c);
      if (d < 0) return Status(ErrorCode::protocol_error, "bad chunk size", base + pos);
      size = size * 16 + static_cast<std::uint64_t>(d);
    }
    pos = nl + 1;
    if (size == 0) break;
    if (size > max - out.size()) {
      return Status(ErrorCode::limit_exceeded,
                    "reply is larger than " + std::to_string(max) + " bytes");
    }
    if (in.size() - pos < size) {
      need_more = true;
      return Status::ok();
    }
    out.append(in.substr(pos, static_cast<std::size_t>(size)));
    pos += static_cast<std::size_t>(size);
    std::string_view rest = in.substr(pos);
    if (rest.starts_with("\r\n")) {
      pos += 2;
    } else if (rest.starts_with("\n")) {
      pos += 1;
    } else if (rest.empty() || rest == "\r") {
      need_more = true;
      return Status::ok();
    } else {
      return Status(ErrorCode::protocol_error, "chunk data not followed by CRLF", base + pos);
    }
  }
  // Trailer fields, ignored, up to an empty line.
  for (;;) {
    std::size_t nl = line_end(pos);
    if (nl == npos) {
      need_more = true;
      return Status::ok();
    }
    std::string_view line = in.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line == "\r") return Status::ok();
  }
}

// "HTTP/1.1 200 OK": a version starting HTTP/, one or more spaces, three
// digits, then the end or a space and a reason phrase.
bool parse_status_line(std::string_view line, int& status) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!line.starts_with("HTTP/")) return false;
  std::size_t sp = line.find(' ');
  if (sp == npos) return false;
  std::string_view rest = line.substr(sp);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.size() < 3 || (rest.size() > 3 && rest[3] != ' ')) return false;
  status = 0;
  for (int i = 0; i < 3; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
    status = status * 10 + (rest[i] - '0');
  }
  return true;
}

// " Reason Phrase" from a status line parse_status_line() accepted, at most
// 100 bytes; empty when there is none.
std::string reason_of(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string_view rest = line.substr(line.find(' '));
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  rest = trim(rest.substr(3));
  return rest.empty() ? std::string() : " " + std::string(rest.substr(0, 100));
}

// Content-Length as a plain decimal below 10^18; several fields must agree.
Status content_length(const Poco::Net::MessageHeader& r, std::int64_t& out) {
  out = -1;
  for (const auto& [name, value] : r) {
    if (Poco::icompare(name, "Content-Length") != 0) continue;
    std::string_view v = trim(value);
    if (v.empty() || v.size() > 18 ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Status(ErrorCode::protocol_error,
                    "bad Content-Length \"" + value.substr(0, 40) + "\"");
    }
    std::int64_t n = 0;
    for (char c : v) n = n * 10 + (c - '0');
    if (out >= 0 && out != n)
      return Status(ErrorCode::protocol_error, "conflicting Content-Length fields");
    out = n;
  }
  return Status::ok();
}

// What the bytes so far say about the reply. With `final` (the connection
// has ended) every check runs; without it a chunked body is only decoded when
// it could be complete, so that polling after each read stays cheap.
struct Framed {
  Status error;            // the reply is bad, whatever follows
  std::string need_more;   // non-empty: cut short here (the reason)
  bool until_eof = false;  // unframed body: complete when the connection ends
  std::string location;    // a redirect
  std::string body;
};

Framed frame(std::string_view raw, const TrackerReplyLimits& lim, bool final) {
  Framed f;
  const std::size_t hdr = header_end(raw);
  if (hdr == npos || hdr > lim.max_header) {
    if (hdr != npos || raw.size() > lim.max_header) {
      f.error = Status(ErrorCode::limit_exceeded,
                       "HTTP header block over " + std::to_string(lim.max_header) + " bytes");
    } else {
      f.need_more = raw.empty() ? "empty reply" : "truncated reply (in the HTTP header)";
    }
    return f;
  }

  // The status line by hand (POCO's HTTPResponse keeps the code in an enum,
  // and an unlisted code such as 900 is not a valid value of it); the fields
  // with POCO's MessageHeader, which caps their count and lengths.
  const std::size_t line_end = raw.find('\n');  // < hdr: the header block ends with one
  int status = 0;
  if (!parse_status_line(raw.substr(0, line_end), status)) {
    f.error = Status(ErrorCode::protocol_error, "not an HTTP reply (bad status line)", 0);
    return f;
  }
  Poco::Net::MessageHeader r;
  try {
    std::istringstream in(std::string(raw.substr(line_end + 1, hdr - line_end - 1)));
    r.read(in);
  } catch (const Poco::Exception& e) {
    f.error = Status(ErrorCode::protocol_error, "malformed HTTP header: " + e.displayText());
    return f;
  } catch (const std::exception& e) {
    f.error = Status(ErrorCode::protocol_error, std::string("malformed HTTP header: ") + e.what());
    return f;
  }

  if (status >= 300 && status < 400 && r.has("Location") && !r.get("Location").empty()) {
    f.location = r.get("Location");
    return f;
  }
  if (status != 200) {
    f.error = Status(ErrorCode::network_error,
                     "HTTP " + std::to_string(status) + reason_of(raw.substr(0, line_end)));
    return f;
  }
  if (r.has("Content-Encoding") &&
      Poco::icompare(std::string(trim(r.get("Content-Encoding"))), "identity") != 0) {
    f.error = Status(ErrorCode::network_error, "unrequested content encoding \"" +
                                                   r.get("Content-Encoding").substr(0, 40) + "\"");
    return f;
  }

  std::string_view rest = raw.substr(hdr);
  std::string te = Poco::toLower(std::string(trim(r.get("Transfer-Encoding", ""))));
  if (te == "chunked") {
    // A complete chunked body ends with the empty line after the last chunk.
    if (!final && !rest.ends_with("\n")) {
      f.need_more = "truncated reply (chunked body)";
      return f;
    }
    bool short_read = false;
    f.error = dechunk(rest, hdr, lim.max_body, f.body, short_read);
    if (f.error.is_ok() && short_read) f.need_more = "truncated reply (chunked body)";
    return f;
  }
  if (!te.empty() && te != "identity") {
    f.error = Status(ErrorCode::unsupported, "transfer encoding \"" + te.substr(0, 40) + "\"");
    return f;
  }

  std::int64_t length = -1;
  if (f.error = content_length(r, length); !f.error) return f;
  if (length > static_cast<std::int64_t>(lim.max_body)) {
    f.error = Status(ErrorCode::limit_exceeded,
                     "reply of " + std::to_string(length) + " bytes is too large");
    return f;
  }
  if (length >= 0) {
    auto want = static_cast<std::size_t>(length);
    if (rest.size() < want) {
      f.need_more = "truncated reply (" + std::to_string(rest.size()) + " of " +
                    std::to_string(want) + " bytes)";
      return f;
    }
    if (final) f.body.assign(rest.substr(0, want));
    return f;
  }
  if (rest.size() > lim.max_body) {
    f.error = Status(ErrorCode::limit_exceeded,
                     "reply is larger than " + std::to_string(lim.max_body) + " bytes");
    return f;
  }
  f.until_eof = true;
  if (final) f.body.assign(rest);
  return f;
}

}  // namespace

bool tracker_reply_complete(std::string_view raw, const TrackerReplyLimits& limits) {
  Framed f = frame(raw, limits, /*final=*/false);
  return !f.error.is_ok() || (f.need_more.empty() && !f.until_eof);
}

Result<HttpReply> interpret_http_reply(std::string_view raw, const TrackerReplyLimits& limits) {
  Framed f = frame(raw, limits, /*final=*/true);
  if (!f.error) return f.error;
  if (!f.need_more.empty()) return Status(ErrorCode::protocol_error, f.need_more);
  return HttpReply{std::move(f.location), std::move(f.body)};
}

Result<TrackerReply> interpret_tracker_reply(std::string_view raw,
                                             const TrackerReplyLimits& limits) {
  auto http = interpret_http_reply(raw, limits);
  if (!http) return http.status();
  TrackerReply reply;
  if (!http->redirect.empty()) {
    reply.redirect = std::move(http->redirect);
    return reply;
  }
  auto parsed = parse_announce_response(http->body, limits.max_peers);
  if (!parsed) return parsed.status();
  reply.response = std::move(*parsed);
  return reply;
}

}  // namespace fluxo
