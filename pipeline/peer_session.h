// One connected peer (a PeerConnection): a blocking loop run as one task on
// the peer arena, over a PeerStream, reading with a MessageReader and
// writing with a MessageWriter (net/message_stream.h); what to request is
// the BlockRequester's (pipeline/block_requester.h), what to serve the
// UploadQueue's (pipeline/upload_queue.h), and extended messages go to the
// torrent's PeerExtensions. It shakes hands, learns what the peer has, keeps the
// request pipeline as deep as the peer's rate warrants (RequestDepth), copies
// arriving blocks straight into the piece's buffer (reading the tail of a
// block from the socket directly into it), hands complete pieces to the
// pipeline, and sends HAVE for pieces committed by anyone.
//
// It gives everything back when it ends, whatever the reason (choke without
// the fast extension, reject, timeout, protocol violation, ban, eviction,
// stop): outstanding requests are returned to their pieces, which stay in
// the registry for other peers to finish (except single-source pieces, see
// pipeline/active_piece.h). Rejected blocks are not asked of the same peer
// again; a peer that rejects every request while unchoking us is dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"
#include "core/tracker_response.h"
#include "net/message_stream.h"
#include "net/mse_stream.h"
#include "net/peer_stream.h"
#include "net/wire.h"
#include "pipeline/swarm_state.h"

namespace fluxo {

// What a torrent adds to the base protocol on one connection (BEP 10 and
// what rides on it: metadata exchange, peer exchange). One object per
// connection, made by PeerConfig::extensions, called on the connection's
// task only; it keeps that peer's state (its extension ids).
class PeerExtensions {
 public:
  virtual ~PeerExtensions() = default;
  // Sets the reserved bits of our handshake.
  virtual void reserve(wire::Handshake& ours) const = 0;
  // Both handshakes are done: may queue messages (an extended handshake).
  virtual Status on_handshake(const wire::Handshake& theirs, MessageWriter& out) = 0;
  // An extended message (BEP 10 id 20): `ext_id` is the id we gave the
  // extension (0: the extended handshake). An error ends the connection.
  virtual Status on_extended(std::uint8_t ext_id, std::span<const std::uint8_t> payload, MessageWriter& out) = 0;
  // Called every loop round: may queue messages (PEX every minute, ...).
  virtual void tick(MessageWriter& out) = 0;
};

struct PeerConfig {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds handshake_timeout{10000};
  // No block for this long while requests are outstanding: the peer is
  // snubbing us; its requests go back to the picker and it keeps one. Twice
  // this long and the connection is dropped.
  std::chrono::milliseconds request_timeout{20000};
  // Nothing at all received for this long: the peer is gone.
  std::chrono::milliseconds idle_timeout{120000};
  std::uint32_t max_requests = 1000;
  std::uint32_t initial_depth = 16;
  // Outgoing connections: MSE/PE first, plain, or MSE only (net/mse_stream.h).
  Encryption encryption = Encryption::prefer;
  // Makes the extensions of one connection to `remote` (incoming: its IP
  // and port 0); empty: none (extended messages are ignored).
  std::function<std::unique_ptr<PeerExtensions>(const PeerAddress& remote, bool incoming)> extensions;
};

// Runs the whole session; returns why it ended (ok when the download
// completed or was stopped). `link` was admitted to swarm.roster by the
// caller; the session removes it when it ends, and ends soon after
// link->drop is set (a ban, an eviction).
Status run_peer_session(SwarmState& swarm, const SwarmIo& io, const PeerAddress& address,
                        std::shared_ptr<PeerLink> link, const PeerConfig& config);
// The same for a peer that connected to us: the session's listener accepted
// it and read its handshake (`theirs`, for this torrent) to route it here.
Status run_incoming_session(SwarmState& swarm, const SwarmIo& io, std::unique_ptr<PeerStream> stream,
                            const wire::Handshake& theirs, std::shared_ptr<PeerLink> link, const PeerConfig& config);
// Over a stream that is already open (an outgoing connection: ours is sent
// first; `who` names the peer in messages), for tests over MemoryStream and
// for wrapped streams.
Status run_outgoing_session(SwarmState& swarm, const SwarmIo& io, std::unique_ptr<PeerStream> stream,
                            const PeerAddress& address, std::shared_ptr<PeerLink> link, const PeerConfig& config);

}  // namespace fluxo
