// The extension protocol (BEP 10) on one connection: our reserved bit, our
// extended handshake once both handshakes are done, and the peer's, parsed
// and kept. What rides on it sends under the id the PEER gave it in its
// 'm', never ours. Rides on it now: serving our metadata (ut_metadata, BEP
// 9: data for a piece in range, reject otherwise or past a per-connection
// budget).
//
// Thread-safety: one object per connection, used on its task only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/extension_handshake.h"
#include "core/tracker_response.h"
#include "pipeline/peer_session.h"

namespace fluxo {

struct ExtensionConfig {
  std::string client;              // our 'v'
  std::uint16_t listen_port = 0;   // our 'p' (0: not listening, left out)
  std::uint32_t reqq = 0;          // requests we queue from one peer (0: left out)
  // The info dictionary, served by ut_metadata (BEP 9); null: not offered.
  std::shared_ptr<const std::string> metadata;
};

class ExtensionProtocol : public PeerExtensions {
 public:
  // `remote` is the peer's address (its 'yourip').
  ExtensionProtocol(ExtensionConfig config, PeerAddress remote);

  void reserve(wire::Handshake& ours) const override;
  Status on_handshake(const wire::Handshake& theirs, MessageWriter& out) override;
  Status on_extended(std::uint8_t ext_id, std::span<const std::uint8_t> payload, MessageWriter& out) override;
  void tick(MessageWriter&) override {}

  // The peer's extended handshake, once it came (a second one updates it).
  const std::optional<ExtensionHandshake>& theirs() const { return theirs_; }

  static constexpr std::uint8_t kReservedByte = 5;
  static constexpr std::uint8_t kReservedBit = 0x10;
  // The ids we ask peers to send our extensions under (our 'm').
  static constexpr std::uint8_t kUtMetadata = 1;
  // Metadata requests answered per connection: a peer needs each piece once
  // (twice if it lost one); past this it gets rejects.
  static constexpr std::uint32_t kMetadataRequestsPerPiece = 4;

 private:
  Status on_metadata(std::span<const std::uint8_t> payload, MessageWriter& out);

  ExtensionConfig config_;
  PeerAddress remote_;
  bool enabled_ = false;  // both sides set the bit
  std::optional<ExtensionHandshake> theirs_;
  std::uint32_t metadata_served_ = 0;
};

}  // namespace fluxo
