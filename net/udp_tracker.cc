#include "net/udp_tracker.h"

#include <Poco/Exception.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <random>

namespace fluxo {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kConnectionLife{60};
constexpr std::chrono::milliseconds kPoll{100};

udp_tracker::Event event_of(AnnounceEvent e) {
  switch (e) {
    case AnnounceEvent::started: return udp_tracker::Event::started;
    case AnnounceEvent::completed: return udp_tracker::Event::completed;
    case AnnounceEvent::stopped: return udp_tracker::Event::stopped;
    case AnnounceEvent::none: break;
  }
  return udp_tracker::Event::none;
}

// "URL: timed out" names the deadline, as HTTP announces do.
Status with_deadline(const Status& s, const TrackerOptions& o) {
  if (s.code() != ErrorCode::network_error || s.message().find(": timed out") == std::string::npos) return s;
  return Status(ErrorCode::network_error, s.message() + " after " + std::to_string(o.timeout.count() / 1000) + " s");
}

std::uint32_t random_id() {
  thread_local std::mt19937 rng(std::random_device{}());
  return static_cast<std::uint32_t>(rng());
}

}  // namespace

struct UdpTrackerClient::Family {
  Poco::Net::DatagramSocket socket;
  std::thread receiver;
};

struct UdpTrackerClient::Waiter {
  std::string from;  // the tracker's address, "ip:port"
  bool ipv6 = false;
  std::optional<udp_tracker::Reply> reply;
};

struct UdpTrackerClient::Target {
  std::string url;
  Poco::Net::SocketAddress address;
  std::string key;  // address.toString(): connection ids and reply sources
};

UdpTrackerClient::UdpTrackerClient(UdpTrackerOptions options) : o_(std::move(options)) {}

UdpTrackerClient::~UdpTrackerClient() {
  closing_.store(true);
  for (auto* f : {v4_.get(), v6_.get()}) {
    if (f && f->receiver.joinable()) f->receiver.join();
  }
}

Result<UdpTrackerClient::Target> UdpTrackerClient::resolve(const std::string& url) {
  constexpr std::string_view kScheme = "udp://";
  if (url.compare(0, kScheme.size(), kScheme) != 0) return Status(ErrorCode::invalid_argument, url + ": not a udp:// URL");
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  rest = rest.substr(0, rest.find('/'));
  PeerAddress hp;
  if (!parse_peer_address(rest, hp)) return Status(ErrorCode::invalid_argument, url + ": no host:port");
  try {
    Poco::Net::SocketAddress a(hp.host, hp.port);
    return Target{url, a, a.toString()};
  } catch (const Poco::Exception& e) {
    return Status(ErrorCode::network_error, url + ": " + e.displayText());
  }
}

UdpTrackerClient::Family* UdpTrackerClient::family_for(const Target& t, Status& error) {
  const bool v6 = t.address.family() == Poco::Net::SocketAddress::IPv6;
  std::lock_guard lock(mu_);
  auto& slot = v6 ? v6_ : v4_;
  if (slot) return slot.get();
  try {
    auto f = std::make_unique<Family>();
    f->socket = Poco::Net::DatagramSocket(v6 ? Poco::Net::SocketAddress::IPv6 : Poco::Net::SocketAddress::IPv4);
    const std::string any = v6 ? "::" : "0.0.0.0";
    const std::string& from = !v6 && !o_.source_address.empty() ? o_.source_address : any;
    f->socket.bind(Poco::Net::SocketAddress(from, 0), /*reuseAddress=*/false);
    Family* raw = f.get();
    f->receiver = std::thread([this, raw] { receive_loop(*raw); });
    slot = std::move(f);
    return raw;
  } catch (const Poco::Exception& e) {
    error = Status(ErrorCode::network_error, t.url + ": cannot open a UDP socket: " + e.displayText());
    return nullptr;
  }
}

void UdpTrackerClient::receive_loop(Family& f) {
  std::vector<std::uint8_t> buf(udp_tracker::kMaxReply);
  while (!closing_.load()) {
    try {
      if (!f.socket.poll(Poco::Timespan(0, static_cast<long>(kPoll.count()) * 1000), Poco::Net::Socket::SELECT_READ)) {
        continue;
      }
      Poco::Net::SocketAddress sender;
      const int n = f.socket.receiveFrom(buf.data(), static_cast<int>(buf.size()), sender);
      if (n < 8) continue;
      const std::uint32_t tid = static_cast<std::uint32_t>(buf[4]) << 24 | static_cast<std::uint32_t>(buf[5]) << 16 |
                                static_cast<std::uint32_t>(buf[6]) << 8 | buf[7];
      std::lock_guard lock(mu_);
      auto it = waiting_.find(tid);
      // Only the tracker asked may answer, and only once.
      if (it == waiting_.end() || it->second->reply || it->second->from != sender.toString()) continue;
      auto r = udp_tracker::parse_reply(std::span(buf.data(), static_cast<std::size_t>(n)), it->second->ipv6);
      if (!r) continue;
      it->second->reply = std::move(*r);
      cv_.notify_all();
    } catch (const Poco::Exception&) {
      // A socket error (an ICMP port unreachable surfaces here): go on.
    }
  }
}

Result<udp_tracker::Reply> UdpTrackerClient::transact(const Target& t, std::vector<std::uint8_t> request,
                                                      Clock::time_point deadline, const std::atomic<bool>* stop) {
  Status error;
  Family* f = family_for(t, error);
  if (!f) return error;
  Waiter w;
  w.from = t.key;
  w.ipv6 = t.address.family() == Poco::Net::SocketAddress::IPv6;
  std::uint32_t tid = 0;
  {
    std::lock_guard lock(mu_);
    do tid = random_id();
    while (waiting_.count(tid));
    waiting_[tid] = &w;
  }
  for (int i = 0; i < 4; ++i) request[12 + i] = static_cast<std::uint8_t>(tid >> (8 * (3 - i)));
  unsigned n = 0;
  Status result = Status(ErrorCode::network_error, t.url + ": no reply");
  std::unique_lock lock(mu_);
  while (true) {
    lock.unlock();
    try {
      f->socket.sendTo(request.data(), static_cast<int>(request.size()), t.address);
    } catch (const Poco::Exception&) {
      // Unreachable for now: the resend may get through.
    }
    lock.lock();
    const auto resend = std::min(deadline, Clock::now() + o_.first_wait * (1u << n));
    while (!w.reply && Clock::now() < resend && !(stop && stop->load())) {
      cv_.wait_until(lock, std::min(resend, Clock::now() + kPoll));
    }
    if (w.reply) break;
    if (stop && stop->load()) {
      result = Status(ErrorCode::cancelled, t.url + ": stopped");
      break;
    }
    if (Clock::now() >= deadline) {
      result = Status(ErrorCode::network_error, t.url + ": timed out");
      break;
    }
    n = std::min(n + 1, o_.max_doublings);
  }
  waiting_.erase(tid);
  if (!w.reply) return result;
  if (w.reply->action == udp_tracker::Action::error) {
    connections_.erase(t.key);  // a stale connection id is the usual cause
    return Status(ErrorCode::protocol_error, t.url + ": tracker failure: " + w.reply->error.substr(0, 500));
  }
  return std::move(*w.reply);
}

Result<std::uint64_t> UdpTrackerClient::connection(const Target& t, Clock::time_point deadline,
                                                   const std::atomic<bool>* stop) {
  {
    std::lock_guard lock(mu_);
    auto it = connections_.find(t.key);
    if (it != connections_.end() && Clock::now() < it->second.second) return it->second.first;
  }
  auto c = udp_tracker::encode_connect(0);
  auto r = transact(t, std::vector<std::uint8_t>(c.begin(), c.end()), deadline, stop);
  if (!r) return r.status();
  if (r->action != udp_tracker::Action::connect) {
    return Status(ErrorCode::protocol_error, t.url + ": the reply to connect is not a connect");
  }
  std::lock_guard lock(mu_);
  connections_[t.key] = {r->connection_id, Clock::now() + kConnectionLife};
  return r->connection_id;
}

Result<AnnounceResponse> UdpTrackerClient::announce(const std::string& url, const AnnounceRequest& req,
                                                    const TrackerOptions& options, const std::atomic<bool>* stop) {
  const auto deadline = Clock::now() + options.timeout;
  auto t = resolve(url);
  if (!t) return t.status();
  auto id = connection(*t, deadline, stop);
  if (!id) return with_deadline(id.status(), options);
  udp_tracker::Announce a;
  a.connection_id = *id;
  a.info_hash = req.info_hash;
  std::copy(req.peer_id.begin(), req.peer_id.end(), a.peer_id.begin());
  a.downloaded = req.downloaded;
  a.left = req.left;
  a.uploaded = req.uploaded;
  a.event = event_of(req.event);
  a.key = req.key;
  a.num_want = req.numwant;
  a.port = req.port;
  auto bytes = udp_tracker::encode_announce(a);
  auto r = transact(*t, std::vector<std::uint8_t>(bytes.begin(), bytes.end()), deadline, stop);
  if (!r) return with_deadline(r.status(), options);
  if (r->action != udp_tracker::Action::announce) {
    return Status(ErrorCode::protocol_error, url + ": the reply to announce is not an announce");
  }
  return std::move(r->announce);
}

Result<std::vector<udp_tracker::ScrapeFigures>> UdpTrackerClient::scrape(const std::string& url,
                                                                         std::span<const InfoHash> hashes,
                                                                         const TrackerOptions& options,
                                                                         const std::atomic<bool>* stop) {
  const auto deadline = Clock::now() + options.timeout;
  auto t = resolve(url);
  if (!t) return t.status();
  auto id = connection(*t, deadline, stop);
  if (!id) return with_deadline(id.status(), options);
  auto r = transact(*t, udp_tracker::encode_scrape(*id, 0, hashes), deadline, stop);
  if (!r) return with_deadline(r.status(), options);
  if (r->action != udp_tracker::Action::scrape) {
    return Status(ErrorCode::protocol_error, url + ": the reply to scrape is not a scrape");
  }
  if (r->scrape.size() < std::min(hashes.size(), udp_tracker::kMaxScrapeHashes)) {
    return Status(ErrorCode::protocol_error, url + ": the scrape reply lists fewer torrents than asked");
  }
  return std::move(r->scrape);
}

}  // namespace fluxo
