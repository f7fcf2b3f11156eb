#include "pipeline/extension_protocol.h"

#include <arpa/inet.h>

#include "core/metadata_message.h"

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
  if (config_.metadata) {
    ours.m["ut_metadata"] = kUtMetadata;
    ours.metadata_size = static_cast<std::int64_t>(config_.metadata->size());
  }
  const std::string bytes = encode_extension_handshake(ours);
  out.extended(0, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  return Status::ok();
}

Status ExtensionProtocol::on_extended(std::uint8_t ext_id, std::span<const std::uint8_t> payload, MessageWriter& out) {
  if (!enabled_) return Status(ErrorCode::protocol_error, "extended message without the extension protocol");
  if (ext_id == 0) {
    auto h = parse_extension_handshake(payload);
    if (!h) return h.status();
    theirs_ = std::move(*h);
    return Status::ok();
  }
  if (ext_id == kUtMetadata && config_.metadata) return on_metadata(payload, out);
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

}  // namespace fluxo
