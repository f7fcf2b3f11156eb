// HTTP and HTTPS tracker announces (BEP 3, BEP 23) over POCO.
//
// One call, one announce: it returns within `timeout` in all (connect, TLS
// handshake, request, reply, every redirect together), however slowly the
// tracker dribbles its bytes, and within about 100 ms of `*stop` becoming
// true. It follows at most `max_redirects` redirects, never to another
// scheme. The reply is judged by interpret_tracker_reply (net/tracker_reply.h):
// body capped, content encodings not requested and refused if sent anyway.
// HTTPS certificates are verified against the system's CA store (or
// `ca_file`) unless `insecure` is set. Thread-safe: calls share no state
// beyond a one-time TLS initialisation and the DeadlineWatchdog.
//
// Not bounded: resolving a host name (getaddrinfo cannot be interrupted), so
// a name that never resolves still holds the call; numeric addresses and
// names the resolver answers at once are bounded.
//
// The process must ignore SIGPIPE (fluxo's main does): a socket the watchdog
// shut down may still be written to by OpenSSL's close_notify.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/tracker_response.h"
#include "core/types.h"
#include "net/wire.h"

namespace fluxo {

enum class AnnounceEvent { none, started, completed, stopped };

struct AnnounceRequest {
  InfoHash info_hash;
  wire::PeerId peer_id{};
  std::uint16_t port = 6881;
  std::int64_t uploaded = 0;
  std::int64_t downloaded = 0;
  std::int64_t left = 0;
  AnnounceEvent event = AnnounceEvent::none;
  int numwant = 200;
  std::uint32_t key = 0;
  std::string tracker_id;
};

struct TrackerOptions {
  // The deadline for the whole announce, redirects included.
  std::chrono::milliseconds timeout{15000};
  std::size_t max_body = 2u << 20;
  int max_redirects = 3;
  bool insecure = false;  // accept any HTTPS certificate
  std::string ca_file;    // extra trusted CA (PEM) for HTTPS, e.g. a test CA
  // Local address announces are sent from (the listen address), so the
  // tracker records the address peers can reach. Empty: the system's choice.
  std::string source_address;
};

// The announce URL with the query for `req` appended (exposed for tests).
std::string announce_url(const std::string& base, const AnnounceRequest& req);

// Errors start with "tracker URL: "; a deadline that passed is
// network_error "... timed out after N s", a stop request is cancelled
// "... stopped". `stop` may be null; it must outlive the call.
Result<AnnounceResponse> announce(const std::string& url, const AnnounceRequest& req,
                                  const TrackerOptions& options, const std::atomic<bool>* stop = nullptr);

// BEP 48: the scrape URL of an announce URL whose last path component
// starts with "announce" ("/announce.php?k=v" -> "/scrape.php?k=v"), or
// nullopt when the tracker has none.
std::optional<std::string> scrape_url(const std::string& announce);

// One torrent's figures from an HTTP(S) tracker's scrape, with the same
// deadline, stop and redirect rules as an announce.
Result<ScrapeFigures> scrape(const std::string& url, const InfoHash& info_hash, const TrackerOptions& options,
                             const std::atomic<bool>* stop = nullptr);

// Who announces: `announce` above for HTTP(S); the session's is a function
// that also sends udp:// URLs to its UdpTrackerClient (net/udp_tracker.h).
using AnnounceFn = std::function<Result<AnnounceResponse>(const std::string& url, const AnnounceRequest& req,
                                                          const TrackerOptions& options,
                                                          const std::atomic<bool>* stop)>;

}  // namespace fluxo
