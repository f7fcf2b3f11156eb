#include "pipeline/extension_protocol.h"

#include <arpa/inet.h>

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

ExtensionProtocol::ExtensionProtocol(ExtensionConfig config, PeerAddress remote)
    : config_(std::move(config)), remote_(std::move(remote)) {}

void ExtensionProtocol::reserve(wire::Handshake& ours) const { ours.reserved[kReservedByte] |= kReservedBit; }

Status ExtensionProtocol::on_handshake(const wire::Handshake& theirs, MessageWriter& out) {
  enabled_ = (theirs.reserved[kReservedByte] & kReservedBit) != 0;
  if (!enabled_) return Status::ok();
  ExtensionHandshake ours;
  ours.client = config_.client;
  if (config_.listen_port) ours.listen_port = config_.listen_port;
  if (config_.reqq) ours.reqq = config_.reqq;
  ours.your_ip = packed_ip(remote_.host);
  const std::string bytes = encode_extension_handshake(ours);
  out.extended(0, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  return Status::ok();
}

Status ExtensionProtocol::on_extended(std::uint8_t ext_id, std::span<const std::uint8_t> payload, MessageWriter&) {
  if (!enabled_) return Status(ErrorCode::protocol_error, "extended message without the extension protocol");
  if (ext_id == 0) {
    auto h = parse_extension_handshake(payload);
    if (!h) return h.status();
    theirs_ = std::move(*h);
    return Status::ok();
  }
  // An id we never gave out (we offer no extension yet): ignored, as BEP 10
  // asks of messages for extensions one does not support.
  return Status::ok();
}

}  // namespace fluxo
