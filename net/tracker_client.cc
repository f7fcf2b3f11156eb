#include "net/tracker_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <optional>
#include <sstream>

#include "core/encoding.h"
#include "net/deadline_watchdog.h"
#include "net/tracker_reply.h"

namespace fluxo {
namespace {

const char* event_name(AnnounceEvent e) {
  switch (e) {
    case AnnounceEvent::started: return "started";
    case AnnounceEvent::completed: return "completed";
    case AnnounceEvent::stopped: return "stopped";
    case AnnounceEvent::none: break;
  }
  return nullptr;
}

// POCO's SSL layer consults a process-wide handler when a certificate fails;
// installing a rejecting one makes failures plain exceptions.
void init_tls_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
        new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_RELAXED, 9, true);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, ctx);
  });
}

Poco::Net::Context::Ptr make_context(const TrackerOptions& o) {
  auto mode = o.insecure ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_RELAXED;
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", o.ca_file, mode, 9,
                                /*loadDefaultCAs=*/true);
}

Status net_error(const std::string& url, const std::string& what) {
  return Status(ErrorCode::network_error, "tracker " + url + ": " + what);
}

using Clock = std::chrono::steady_clock;

// The one deadline of an announce, shared by its redirects.
struct Deadline {
  explicit Deadline(std::chrono::milliseconds limit)
      : total(std::max(limit, std::chrono::milliseconds(1))), at(Clock::now() + total) {}
  std::chrono::milliseconds total;
  Clock::time_point at;

  // What is left, at least 1 ms: POCO reads a zero timeout as "wait forever".
  Poco::Timespan left() const {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(at - Clock::now()).count();
    return Poco::Timespan(std::max<Poco::Timespan::TimeDiff>(us, 1000));
  }
  bool passed() const { return Clock::now() >= at; }
  Status timed_out() const {
    char text[48];
    auto ms = total.count();
    if (ms % 1000 == 0) {
      std::snprintf(text, sizeof text, "timed out after %lld s", static_cast<long long>(ms / 1000));
    } else {
      std::snprintf(text, sizeof text, "timed out after %.1f s", static_cast<double>(ms) / 1000.0);
    }
    return Status(ErrorCode::network_error, text);
  }
};

Status stopped() { return Status(ErrorCode::cancelled, "stopped"); }

// "/path?query", never empty: the request target of an origin-form request.
std::string request_target(const Poco::URI& uri) {
  std::string t = uri.getPathEtc();
  if (t.empty() || t.front() != '/') t.insert(t.begin(), '/');
  return t;
}

// One HTTP exchange: connect (from options.source_address if set), TLS for
// https, send the GET, read until the reply is complete or the connection
// ends. Every blocking call gets the time left as its own timeout, and the
// watchdog shuts the socket down at the deadline or on stop, which also
// ends a TLS handshake or read blocked inside OpenSSL. The bytes are judged
// by the caller. Messages carry no URL.
Result<std::string> exchange(const Poco::URI& uri, const TrackerOptions& options, const Deadline& deadline,
                             const std::atomic<bool>* stop, const TrackerReplyLimits& limits) {
  if (stop != nullptr && stop->load()) return stopped();
  if (deadline.passed()) return deadline.timed_out();
  // Destroyed in reverse order: the watch goes before either socket closes the fd.
  Poco::Net::StreamSocket socket;
  std::optional<Poco::Net::SecureStreamSocket> tls;
  DeadlineWatchdog::Watch watch;
  std::string raw;
  bool complete = false;
  Status failure;
  try {
    // Name resolution is not bounded (see the header).
    Poco::Net::SocketAddress to(uri.getHost(), uri.getPort());
    socket = Poco::Net::StreamSocket(to.family());
    if (!options.source_address.empty()) {
      socket.impl()->bind(Poco::Net::SocketAddress(options.source_address, 0), /*reuseAddress=*/false);
    }
    watch = DeadlineWatchdog::instance().watch(socket.impl()->sockfd(), deadline.at, stop);
    socket.connect(to, deadline.left());
    socket.setReceiveTimeout(deadline.left());
    socket.setSendTimeout(deadline.left());
    Poco::Net::StreamSocket* conn = &socket;
    if (uri.getScheme() == "https") {
      init_tls_once();
      tls = Poco::Net::SecureStreamSocket::attach(socket, uri.getHost(), make_context(options));
      conn = &*tls;
    }

    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, request_target(uri),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost(uri.getHost(), uri.getPort());
    request.set("User-Agent", "fluxo/" FLUXO_VERSION);
    request.set("Accept-Encoding", "identity");
    request.setKeepAlive(false);
    std::ostringstream out;
    request.write(out);
    const std::string head = out.str();
    for (std::size_t sent = 0; sent < head.size();) {
      if (deadline.passed()) throw Poco::TimeoutException();
      socket.setSendTimeout(deadline.left());
      int n = conn->sendBytes(head.data() + sent, static_cast<int>(head.size() - sent));
      if (n == 0) throw Poco::Net::ConnectionResetException("connection closed while sending");
      if (n > 0) sent += static_cast<std::size_t>(n);
    }

    // A legitimate chunked reply has a few bytes of framing per chunk; more
    // than this is a tracker wasting our time.
    const std::size_t cap = limits.max_header + 2 * limits.max_body + 65536;
    char buf[16384];
    while (!complete) {
      if (deadline.passed()) throw Poco::TimeoutException();
      socket.setReceiveTimeout(deadline.left());
      int n = 0;
      try {
        n = conn->receiveBytes(buf, sizeof buf);
      } catch (const Poco::TimeoutException&) {
        throw;
      } catch (const Poco::Exception&) {
        // A TLS peer that closes without close_notify looks like an error;
        // after some bytes it is an end like any other, judged by the
        // framing (a watchdog shutdown is told apart below).
        if (raw.empty()) throw;
        break;
      }
      if (n == 0) break;  // the end (or the watchdog's shutdown)
      if (n < 0) continue;  // TLS wants more after a timeout: the deadline decides
      raw.append(buf, static_cast<std::size_t>(n));
      if (raw.size() > cap) {
        failure = Status(ErrorCode::limit_exceeded, "reply is too large");
        break;
      }
      complete = tracker_reply_complete(raw, limits);
    }
  } catch (const Poco::TimeoutException&) {
    failure = deadline.timed_out();
  } catch (const Poco::Exception& e) {
    failure = Status(ErrorCode::network_error, e.displayText());
  } catch (const std::exception& e) {
    failure = Status(ErrorCode::network_error, e.what());
  }
  watch.reset();
  if (!complete) {
    switch (watch.fired()) {
      case DeadlineWatchdog::Fired::stop: return stopped();
      case DeadlineWatchdog::Fired::deadline: return deadline.timed_out();
      case DeadlineWatchdog::Fired::no: break;
    }
  }
  if (!failure) return failure;
  return raw;
}

}  // namespace

std::string announce_url(const std::string& base, const AnnounceRequest& req) {
  std::string url = base;
  url += base.find('?') == std::string::npos ? '?' : '&';
  url += "info_hash=" + percent_encode(req.info_hash.view());
  url += "&peer_id=" + percent_encode(std::string_view(reinterpret_cast<const char*>(req.peer_id.data()), 20));
  url += "&port=" + std::to_string(req.port);
  url += "&uploaded=" + std::to_string(req.uploaded);
  url += "&downloaded=" + std::to_string(req.downloaded);
  url += "&left=" + std::to_string(req.left);
  url += "&compact=1&no_peer_id=1";
  url += "&numwant=" + std::to_string(req.numwant);
  char key[16];
  std::snprintf(key, sizeof key, "%08x", req.key);
  url += "&key=";
  url += key;
  if (const char* e = event_name(req.event)) url += std::string("&event=") + e;
  if (!req.tracker_id.empty()) url += "&trackerid=" + percent_encode(req.tracker_id);
  return url;
}

namespace {

// GET `target` (the tracker's `url` with a query) within options.timeout,
// following redirects within one scheme; the body of the 200.
Result<std::string> fetch(const std::string& url, std::string target, const TrackerOptions& options,
                          const std::atomic<bool>* stop) {
  const Deadline deadline(options.timeout);
  TrackerReplyLimits limits;
  limits.max_body = options.max_body;
  std::string scheme;
  for (int hop = 0; hop <= options.max_redirects; ++hop) {
    Poco::URI uri;
    try {
      uri = Poco::URI(target);
    } catch (const Poco::Exception& e) {
      return net_error(url, "bad URL: " + e.displayText());
    }
    if (scheme.empty()) scheme = uri.getScheme();
    if (uri.getScheme() != scheme) return net_error(url, "redirect to another scheme refused");
    if (scheme != "http" && scheme != "https") {
      return Status(ErrorCode::unsupported, "tracker " + url + ": scheme \"" + scheme + "\" is not supported");
    }
    auto raw = exchange(uri, options, deadline, stop, limits);
    if (!raw) return Status(raw.status().code(), "tracker " + url + ": " + raw.status().message());
    auto reply = interpret_http_reply(*raw, limits);
    if (!reply) return Status(reply.status().code(), "tracker " + url + ": " + reply.status().message());
    if (reply->redirect.empty()) return std::move(reply->body);
    try {
      target = Poco::URI(uri, reply->redirect).toString();
    } catch (const Poco::Exception& e) {
      return net_error(url, "bad redirect: " + e.displayText());
    }
  }
  return net_error(url, "too many redirects");
}

}  // namespace

Result<AnnounceResponse> announce(const std::string& url, const AnnounceRequest& req,
                                  const TrackerOptions& options, const std::atomic<bool>* stop) {
  auto body = fetch(url, announce_url(url, req), options, stop);
  if (!body) return body.status();
  auto parsed = parse_announce_response(*body, TrackerReplyLimits{}.max_peers);
  if (!parsed) return Status(parsed.status().code(), "tracker " + url + ": " + parsed.status().message());
  return parsed;
}

std::optional<std::string> scrape_url(const std::string& announce) {
  const std::size_t slash = announce.rfind('/');
  if (slash == std::string::npos || announce.compare(slash + 1, 8, "announce") != 0) return std::nullopt;
  return announce.substr(0, slash + 1) + "scrape" + announce.substr(slash + 1 + 8);
}

Result<ScrapeFigures> scrape(const std::string& url, const InfoHash& info_hash, const TrackerOptions& options,
                             const std::atomic<bool>* stop) {
  auto base = scrape_url(url);
  if (!base) {
    return Status(ErrorCode::unsupported, "tracker " + url + ": no scrape URL (the path does not end in announce)");
  }
  std::string target = *base + (base->find('?') == std::string::npos ? '?' : '&');
  target += "info_hash=" + percent_encode(info_hash.view());
  auto body = fetch(url, target, options, stop);
  if (!body) return body.status();
  auto figures = parse_scrape_response(*body, info_hash.view());
  if (!figures) return Status(figures.status().code(), "tracker " + url + ": " + figures.status().message());
  return figures;
}

}  // namespace fluxo
