#include "pipeline/extension_protocol.h"

#include <arpa/inet.h>

#include <algorithm>

#include "core/metadata_message.h"
#include "core/pex_message.h"

namespace fluxo {
namespace {

// The peer's address as 4 or 16 bytes, for 'yourip'; nullopt for a name.
std::optional<std::string> packed_ip(const std::string& host) {
  std::uint8_t buf[16];
  if (::inet_pton(AF_INET, host.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (::inet_pton(AF_INET6, host.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 16);
  return std::nullopt;
}

}  // namespace

void PexRoster::add(const PeerAddress& a, std::uint8_t flags) {
  std::lock_guard lock(mu_);
  Entry& e = live_[a.to_string()];
  e.address = a;
  e.flags = flags;
  ++e.connections;
}

void PexRoster::remove(const PeerAddress& a) {
  std::lock_guard lock(mu_);
  auto it = live_.find(a.to_string());
  if (it != live_.end() && --it->second.connections == 0) live_.erase(it);
}

std::vector<std::pair<PeerAddress, std::uint8_t>> PexRoster::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<PeerAddress, std::uint8_t>> out;
  out.reserve(live_.size());
  for (const auto& [key, e] : live_) out.emplace_back(e.address, e.flags);
  return out;
}

ExtensionProtocol::ExtensionProtocol(ExtensionConfig config, PeerAddress remote, bool incoming)
    : config_(std::move(config)), remote_(std::move(remote)), incoming_(incoming) {}

ExtensionProtocol::~ExtensionProtocol() {
  if (listed_) config_.pex->remove(*listed_);
}

void ExtensionProtocol::listed(const PeerAddress& listen) {
  if (!config_.pex || listed_ || listen.port == 0) return;
  listed_ = listen;
  config_.pex->add(listen, incoming_ ? 0 : kPexOutgoing);
}

void ExtensionProtocol::reserve(wire::Handshake& ours) const { ours.reserved[kReservedByte] |= kReservedBit; }

Status ExtensionProtocol::on_handshake(const wire::Handshake& theirs, MessageWriter& out) {
  // The connection is up: others may hear of it (an outgoing one is at the
  // address we dialled; an incoming one once it tells its port).
  if (!incoming_) listed(remote_);
  enabled_ = (theirs.reserved[kReservedByte] & kReservedBit) != 0;
  if (!enabled_) return Status::ok();
  ExtensionHandshake ours;
  ours.client = config_.client;
  if (config_.listen_port) ours.listen_port = config_.listen_port;
  if (config_.reqq) ours.reqq = config_.reqq;
  ours.your_ip = packed_ip(remote_.host);
  if (config_.metadata) {
    ours.m["ut_metadata"] = kUtMetadata;
    ours.metadata_size = static_cast<std::int64_t>(config_.metadata->size());
  }
  if (config_.pex) ours.m["ut_pex"] = kUtPex;
  const std::string bytes = encode_extension_handshake(ours);
  out.extended(0, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  return Status::ok();
}

Status ExtensionProtocol::on_extended(std::uint8_t ext_id, std::span<const std::uint8_t> payload, MessageWriter& out) {
  if (!enabled_) return Status(ErrorCode::protocol_error, "extended message without the extension protocol");
  if (ext_id == 0) {
    auto h = parse_extension_handshake(payload);
    if (!h) return h.status();
    if (theirs_) {
      // BEP 10: a later handshake may carry only what changed; 'm' adds to
      // what we have (entries disabled with 0 are left out by the parser
      // and stay as they were).
      for (auto& [name, id] : h->m) {
        if (theirs_->m.size() < kMaxExtensions || theirs_->m.count(name)) theirs_->m[name] = id;
      }
      if (!h->client.empty()) theirs_->client = h->client;
      if (h->listen_port) theirs_->listen_port = h->listen_port;
      if (h->reqq) theirs_->reqq = h->reqq;
      if (h->your_ip) theirs_->your_ip = h->your_ip;
      if (h->metadata_size) theirs_->metadata_size = h->metadata_size;
    } else {
      theirs_ = std::move(*h);
    }
    if (incoming_ && theirs_->listen_port) listed(PeerAddress{remote_.host, *theirs_->listen_port});
    return Status::ok();
  }
  if (ext_id == kUtMetadata && config_.metadata) return on_metadata(payload, out);
  if (ext_id == kUtPex && config_.pex) return on_pex(payload);
  // An id we never gave out: ignored, as BEP 10 asks of messages for
  // extensions one does not support.
  return Status::ok();
}

Status ExtensionProtocol::on_metadata(std::span<const std::uint8_t> payload, MessageWriter& out) {
  auto m = parse_metadata_message(payload);
  if (!m) return m.status();
  if (m->type != MetadataType::request) return Status::ok();  // we ask for nothing yet
  const auto their_id = theirs_ ? theirs_->id_of("ut_metadata") : std::nullopt;
  if (!their_id) return Status::ok();  // it never said where answers go
  const std::string& info = *config_.metadata;
  const std::uint32_t pieces = metadata_pieces(static_cast<std::int64_t>(info.size()));
  std::string reply;
  if (m->piece >= pieces || metadata_served_ >= kMetadataRequestsPerPiece * pieces) {
    reply = encode_metadata_reject(m->piece);
  } else {
    ++metadata_served_;
    const std::size_t at = static_cast<std::size_t>(m->piece) * kMetadataPiece;
    reply = encode_metadata_data(m->piece, static_cast<std::int64_t>(info.size()),
                                 std::string_view(info).substr(at, kMetadataPiece));
  }
  out.extended(*their_id, std::span(reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()));
  return Status::ok();
}

Status ExtensionProtocol::on_pex(std::span<const std::uint8_t> payload) {
  auto m = parse_pex_message(payload);
  if (!m) return m.status();
  const auto now = Clock::now();
  // BEP 11: at most once a minute. More often is ignored, not trusted.
  if (pex_heard_ && now - *pex_heard_ < config_.pex_interval / 2) return Status::ok();
  pex_heard_ = now;
  const std::size_t room = kMaxPexLearned - pex_learned_;
  if (room == 0 || m->added.empty() || !config_.on_pex_peers) return Status::ok();
  if (m->added.size() > room) m->added.resize(room);
  pex_learned_ += m->added.size();
  config_.on_pex_peers(std::move(m->added));
  return Status::ok();
}

void ExtensionProtocol::tick(MessageWriter& out) {
  if (!enabled_ || !config_.pex || !theirs_) return;
  const auto their_id = theirs_->id_of("ut_pex");
  if (!their_id) return;
  const auto now = Clock::now();
  if (pex_sent_ && now - *pex_sent_ < config_.pex_interval) return;
  const bool first = !pex_sent_;
  pex_sent_ = now;
  // Everyone connected but this peer itself (by the address we know it at,
  // and by its IP with the port it listens on).
  std::set<std::string> now_live;
  PexMessage msg;
  for (const auto& [addr, flags] : config_.pex->snapshot()) {
    if (addr == remote_ || (listed_ && addr == *listed_)) continue;
    const std::string key = addr.to_string();
    now_live.insert(key);
    if (!pex_told_.count(key) && msg.added.size() < kPexSendMax) {
      msg.added.push_back(addr);
      msg.added_flags.push_back(flags);
    }
  }
  for (const auto& key : pex_told_) {
    if (now_live.count(key) || msg.dropped.size() >= kPexSendMax) continue;
    PeerAddress a;
    if (parse_peer_address(key, a)) msg.dropped.push_back(a);
  }
  if (msg.added.empty() && msg.dropped.empty()) {
    if (first) pex_sent_.reset();  // nothing to tell yet: the first message waits for news
    return;
  }
  for (const auto& a : msg.added) pex_told_.insert(a.to_string());
  for (const auto& a : msg.dropped) pex_told_.erase(a.to_string());
  const std::string bytes = encode_pex_message(msg);
  out.extended(*their_id, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace fluxo
