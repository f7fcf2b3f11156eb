// The session's UDP tracker client (BEP 15): one socket per address family
// for every announce and scrape of the session, opened on first use.
//
// A receiving thread hands each datagram to the call waiting for its
// transaction id; datagrams from any address but that tracker's, with an id
// nobody waits for, or that do not parse are dropped. Connection ids are
// kept for a minute per tracker. A request not answered is sent again after
// first_wait x 2^n (BEP 15: 15 s x 2^n, n up to 8; a shorter first wait is
// an option, for trackers on a fast network and for loopback tests), all
// within the call's deadline; `*stop` ends a call within about 100 ms.
//
// Thread-safe: any number of calls at once, from any threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/udp_tracker_message.h"
#include "net/tracker_client.h"

namespace Poco::Net {
class DatagramSocket;
class SocketAddress;
}  // namespace Poco::Net

namespace fluxo {

struct UdpTrackerOptions {
  std::chrono::milliseconds first_wait{15000};  // before the first resend; doubles after each
  unsigned max_doublings = 8;
  // Local IPv4 address to send from (the listen address, so the tracker
  // records the address peers can reach). Empty: any.
  std::string source_address;
};

class UdpTrackerClient {
 public:
  explicit UdpTrackerClient(UdpTrackerOptions options);
  ~UdpTrackerClient();
  UdpTrackerClient(const UdpTrackerClient&) = delete;
  UdpTrackerClient& operator=(const UdpTrackerClient&) = delete;

  // An announce to "udp://host:port[/...]" within options.timeout. Errors
  // start with the tracker's URL, like HTTP announces: a tracker's error
  // reply is protocol_error "tracker failure: ...", a deadline network_error
  // "... timed out after N s", a stop cancelled.
  Result<AnnounceResponse> announce(const std::string& url, const AnnounceRequest& req, const TrackerOptions& options,
                                    const std::atomic<bool>* stop = nullptr);
  // Seeders, completed and leechers for each hash (at most 74), in order.
  Result<std::vector<udp_tracker::ScrapeFigures>> scrape(const std::string& url, std::span<const InfoHash> hashes,
                                                         const TrackerOptions& options,
                                                         const std::atomic<bool>* stop = nullptr);

 private:
  struct Family;
  struct Waiter;
  struct Target;
  Result<Target> resolve(const std::string& url);
  Family* family_for(const Target& t, Status& error);
  Result<std::uint64_t> connection(const Target& t, std::chrono::steady_clock::time_point deadline,
                                   const std::atomic<bool>* stop);
  // Sends `request` (its bytes 12..15 are replaced by a fresh transaction
  // id) until a reply with that id comes from the tracker.
  Result<udp_tracker::Reply> transact(const Target& t, std::vector<std::uint8_t> request,
                                      std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* stop);
  void receive_loop(Family& f);

  UdpTrackerOptions o_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::uint32_t, Waiter*> waiting_;                            // guarded by mu_
  std::map<std::string, std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> connections_;  // guarded by mu_
  std::unique_ptr<Family> v4_, v6_;                                     // guarded by mu_ (creation)
  std::atomic<bool> closing_{false};
};

}  // namespace fluxo
