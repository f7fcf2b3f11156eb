#include "net/tracker_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

#include <memory>
#include <mutex>

#include "core/encoding.h"

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

Result<AnnounceResponse> announce(const std::string& url, const AnnounceRequest& req,
                                  const TrackerOptions& options) {
  std::string target = announce_url(url, req);
  std::string scheme;
  for (int hop = 0; hop <= options.max_redirects; ++hop) {
    try {
      Poco::URI uri(target);
      if (scheme.empty()) scheme = uri.getScheme();
      if (uri.getScheme() != scheme) return net_error(url, "redirect to another scheme refused");
      std::unique_ptr<Poco::Net::HTTPClientSession> session;
      if (scheme == "https") {
        init_tls_once();
        session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                  make_context(options));
      } else if (scheme == "http" && !options.source_address.empty()) {
        Poco::Net::StreamSocket socket;
        socket.impl()->bind(Poco::Net::SocketAddress(options.source_address, 0));
        socket.connect(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()),
                       Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(options.timeout).count()));
        session = std::make_unique<Poco::Net::HTTPClientSession>(socket);  // Host header set below
      } else if (scheme == "http") {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
      } else {
        return Status(ErrorCode::unsupported, "tracker " + url + ": scheme \"" + scheme + "\" is not supported");
      }
      Poco::Timespan t(std::chrono::duration_cast<std::chrono::microseconds>(options.timeout).count());
      session->setTimeout(t, t, t);
      Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathEtc(),
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.setHost(uri.getHost(), uri.getPort());
      request.set("User-Agent", "fluxo/" FLUXO_VERSION);
      request.set("Accept-Encoding", "identity");
      session->sendRequest(request);
      Poco::Net::HTTPResponse response;
      std::istream& body = session->receiveResponse(response);
      int status = response.getStatus();
      if (status >= 300 && status < 400 && response.has("Location")) {
        Poco::URI next(uri, response.get("Location"));
        target = next.toString();
        continue;
      }
      if (status != 200) {
        return net_error(url, "HTTP " + std::to_string(status) + " " + response.getReason());
      }
      if (response.has("Content-Encoding") && response.get("Content-Encoding") != "identity") {
        return net_error(url, "unrequested content encoding \"" + response.get("Content-Encoding") + "\"");
      }
      if (response.hasContentLength() &&
          response.getContentLength64() > static_cast<std::int64_t>(options.max_body)) {
        return net_error(url, "reply of " + std::to_string(response.getContentLength64()) + " bytes is too large");
      }
      std::string data;
      char buf[16384];
      while (body.read(buf, sizeof buf) || body.gcount() > 0) {
        data.append(buf, static_cast<std::size_t>(body.gcount()));
        if (data.size() > options.max_body) return net_error(url, "reply is too large");
      }
      if (response.hasContentLength() &&
          static_cast<std::int64_t>(data.size()) != response.getContentLength64()) {
        return net_error(url, "truncated reply");
      }
      auto parsed = parse_announce_response(data);
      if (!parsed) return Status(parsed.status().code(), "tracker " + url + ": " + parsed.status().message());
      return parsed;
    } catch (const Poco::Exception& e) {
      return net_error(url, e.displayText());
    } catch (const std::exception& e) {
      return net_error(url, e.what());
    }
  }
  return net_error(url, "too many redirects");
}

}  // namespace fluxo
