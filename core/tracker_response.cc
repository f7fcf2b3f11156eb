#include "core/tracker_response.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/bencode.h"

namespace fluxo {

std::string PeerAddress::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool parse_peer_address(std::string_view text, PeerAddress& out) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return false;  // a bare IPv6 literal needs brackets
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) return false;
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(value);
  return true;
}

void parse_compact_peers(std::string_view s, bool v6, std::size_t max_peers, AnnounceResponse& r) {
  const std::size_t entry = v6 ? 18 : 6;
  r.peers_dropped += s.size() % entry != 0 ? 1 : 0;
  for (std::size_t off = 0; off + entry <= s.size() && r.peers.size() < max_peers; off += entry) {
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[off + i]); };
    PeerAddress a;
    // The canonical text (RFC 5952 for IPv6: "::1", not "0:0:0:0:0:0:0:1"),
    // so one peer from a tracker and from PEX is one address.
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v6 ? AF_INET6 : AF_INET, s.data() + off, buf, sizeof buf);
    a.host = buf;
    a.port = static_cast<std::uint16_t>(b(entry - 2) << 8 | b(entry - 1));
    if (a.port == 0) {
      ++r.peers_dropped;
      continue;
    }
    r.peers.push_back(std::move(a));
  }
}

namespace {

// A tracker's bencoded reply (`what`: "tracker reply", "scrape reply"),
// bounded, whose root is a dictionary without a 'failure reason'.
Result<bencode::Document> decode_reply(std::string_view body, const std::string& what) {
  bencode::Limits limits;
  limits.max_input_size = 4u << 20;
  limits.max_depth = 16;
  limits.max_tokens = 200'000;
  auto doc = bencode::decode(body, limits);
  if (!doc) return Status(ErrorCode::protocol_error, what + " is not bencode: " + doc.status().to_string());
  auto root = doc->root();
  if (!root.is_dict()) return Status(ErrorCode::protocol_error, what + " is not a dictionary");
  if (auto f = root.find("failure reason")) {
    std::string_view reason = f->as_string().value_or("(no reason given)");
    return Status(ErrorCode::protocol_error, "tracker failure: " + std::string(reason.substr(0, 500)));
  }
  return doc;
}

}  // namespace

Result<AnnounceResponse> parse_announce_response(std::string_view body, std::size_t max_peers) {
  auto doc = decode_reply(body, "tracker reply");
  if (!doc) return doc.status();
  auto root = doc->root();
  AnnounceResponse r;
  if (auto w = root.find("warning message"); w && w->is_string()) r.warning = std::string(w->as_string()->substr(0, 500));
  if (auto i = root.find("interval"); i && i->is_int()) r.interval = *i->as_int();
  r.interval = std::clamp(r.interval, kMinInterval, kMaxInterval);
  if (auto i = root.find("min interval"); i && i->is_int()) {
    r.min_interval = std::clamp(*i->as_int(), std::int64_t{0}, kMaxInterval);
  }
  if (auto t = root.find("tracker id"); t && t->is_string()) r.tracker_id = std::string(*t->as_string());
  if (auto c = root.find("complete"); c && c->is_int()) r.complete = *c->as_int();
  if (auto c = root.find("incomplete"); c && c->is_int()) r.incomplete = *c->as_int();

  if (auto peers = root.find("peers")) {
    if (auto s = peers->as_string()) {
      parse_compact_peers(*s, false, max_peers, r);
    } else {
      for (auto p : peers->items()) {
        if (r.peers.size() >= max_peers) break;
        auto ip = p.find("ip");
        auto port = p.find("port");
        PeerAddress a;
        if (!ip || !ip->is_string() || !port || !port->is_int() || *port->as_int() <= 0 ||
            *port->as_int() > 65535 || ip->as_string()->empty() || ip->as_string()->size() > 255) {
          ++r.peers_dropped;
          continue;
        }
        a.host = std::string(*ip->as_string());
        a.port = static_cast<std::uint16_t>(*port->as_int());
        r.peers.push_back(std::move(a));
      }
    }
  }
  if (auto peers6 = root.find("peers6"); peers6 && peers6->is_string()) {
    parse_compact_peers(*peers6->as_string(), true, max_peers, r);
  }
  return r;
}

Result<ScrapeFigures> parse_scrape_response(std::string_view body, std::string_view info_hash) {
  auto doc = decode_reply(body, "scrape reply");
  if (!doc) return doc.status();
  auto root = doc->root();
  auto files = root.find("files");
  if (!files || !files->is_dict()) return Status(ErrorCode::protocol_error, "scrape reply without 'files'");
  auto entry = files->find(info_hash);
  if (!entry || !entry->is_dict()) return Status(ErrorCode::not_found, "the tracker does not list this torrent");
  auto figure = [&](std::string_view key) {
    auto n = entry->find(key);
    return n && n->is_int() ? std::max<std::int64_t>(0, *n->as_int()) : 0;
  };
  return ScrapeFigures{figure("complete"), figure("downloaded"), figure("incomplete")};
}

}  // namespace fluxo
