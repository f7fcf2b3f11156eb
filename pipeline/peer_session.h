// One connected peer, seen from a downloader: a blocking loop run as one task
// on the peer arena. It shakes hands, learns what the peer has, keeps the
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
#include <string>

#include "core/status.h"
#include "core/tracker_response.h"
#include "net/peer_socket.h"
#include "pipeline/swarm_state.h"

namespace fluxo {

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
};

// Runs the whole session; returns why it ended (ok when the download
// completed or was stopped). `link` was admitted to swarm.roster by the
// caller; the session removes it when it ends, and ends soon after
// link->drop is set (a ban, an eviction).
Status run_peer_session(SwarmState& swarm, const PeerAddress& address, std::shared_ptr<PeerLink> link,
                        const PeerConfig& config);
// The same for a peer that connected to us: the session's listener accepted
// it and read its handshake (`theirs`, for this torrent) to route it here.
Status run_incoming_session(SwarmState& swarm, PeerSocket socket, const wire::Handshake& theirs,
                            std::shared_ptr<PeerLink> link, const PeerConfig& config);

}  // namespace fluxo
