// One connection that fetches a magnet link's metadata (BEP 9) before the
// torrent exists: the handshake with the extension bit, our extended
// handshake asking for ut_metadata, then requests for the pieces the shared
// MetadataAssembler hands this peer (two in flight), until the metadata is
// whole (from whichever peers) or this peer is of no use.
//
// Everything else the peer sends (bitfield, have, unchoke, ...) is read and
// ignored: nothing is downloaded on this connection. Its requests for our
// metadata are rejected (we have none yet).
//
// The peer is dropped (an error) when it does not speak the extension
// protocol or ut_metadata, offers no size or one over the cap, sends a
// piece not asked of it or of the wrong length, sends metadata that fails
// the hash alone, rejects every piece, or keeps a piece past
// `request_timeout`. A peer that offers nothing within `handshake_timeout`
// is dropped too.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/metadata_assembler.h"
#include "core/status.h"
#include "core/types.h"
#include "net/message_stream.h"
#include "net/mse_stream.h"
#include "net/peer_stream.h"
#include "net/wire.h"

namespace fluxo {

struct MetadataPeerConfig {
  InfoHash info_hash;
  wire::PeerId our_id{};
  std::string client;             // our 'v'
  std::uint16_t listen_port = 0;  // our 'p' (0: left out)
  std::chrono::milliseconds handshake_timeout{10000};  // both handshakes, the extended one included
  std::chrono::milliseconds request_timeout{15000};    // a piece asked for and not sent
  std::chrono::milliseconds poll{200};
  Encryption encryption = Encryption::prefer;  // how to dial (net/mse_stream.h)
  static constexpr std::uint8_t kUtMetadata = 1;  // our id for it (our 'm')
  static constexpr unsigned kInFlight = 2;        // pieces asked of one peer at once
};

// Our BitTorrent handshake on these connections (the extension protocol's
// bit set).
std::array<std::uint8_t, wire::kHandshakeSize> metadata_handshake(const MetadataPeerConfig& config);

// Runs the connection over an open stream (ours is sent first, unless
// `handshake_sent`: it went with an encrypted handshake). Ok once the
// assembler is complete; cancelled when `stop` is raised. `me` names this
// connection in the assembler, which hears gone(me) at the end.
Status fetch_metadata_over(PeerStream& stream, const MetadataPeerConfig& config, MetadataAssembler& assembler,
                           MetadataAssembler::PeerId me, StopFlags stop, bool handshake_sent = false);

}  // namespace fluxo
