// The serving half of a peer session: the peer's requests, checked against
// the peer-wire rules of HOSTILE.md and queued, the choke state the choker
// asks for, and batches of blocks sent from the upload cache.
//
// Rules: a request of 0 or more than 16 KiB, or past the end of its piece,
// is a violation (the session ends); requests while choked and for pieces we
// do not have are rejected (BEP 6) and, past a limit, a violation; at most
// kMaxQueue requests wait; a cancel removes its request (answered with a
// reject under BEP 6), and floods of cancels for nothing are a violation.
// Owned and used by one session's thread.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "net/peer_socket.h"
#include "net/wire.h"
#include "pipeline/swarm_state.h"

namespace fluxo {

class UploadQueue {
 public:
  static constexpr std::size_t kMaxQueue = 2048;  // requests queued from one peer
  static constexpr std::size_t kBatch = 16;       // blocks per gathered write

  UploadQueue(SwarmState& swarm, std::string who, PeerLink& link, bool fast)
      : s_(swarm), who_(std::move(who)), link_(link), fast_(fast) {}

  bool choking() const { return choking_; }
  // Blocks waiting that may be sent now.
  bool ready() const { return !queue_.empty() && !choking_; }

  // Applies the choker's decision; CHOKE/UNCHOKE (and, when choking, rejects
  // for every queued request) are appended to `out`.
  void sync_choke(std::vector<std::uint8_t>& out);
  Status on_request(const wire::BlockRef& r, std::vector<std::uint8_t>& out);
  Status on_cancel(const wire::BlockRef& r, std::vector<std::uint8_t>& out);

  // Sends up to kBatch queued blocks, each a PIECE header and the bytes of a
  // verified piece (UploadCache::get_block), in one gathered write led by `out` (messages queued
  // before them), which is then cleared. Rejects for blocks it could not
  // serve are left in `out`. Returns whether anything was written.
  Result<bool> serve(PeerSocket& socket, std::vector<std::uint8_t>& out);

 private:
  void reject(const wire::BlockRef& r, std::vector<std::uint8_t>& out) const;

  SwarmState& s_;
  std::string who_;
  PeerLink& link_;
  bool fast_;
  bool choking_ = true;
  std::deque<wire::BlockRef> queue_;
  std::uint32_t serving_index_ = UINT32_MAX;  // the piece of the last block sent
  std::uint32_t last_prefetch_ = UINT32_MAX;
  std::uint32_t requests_while_choked_ = 0;
  std::uint32_t bad_requests_ = 0;
  std::uint32_t stray_cancels_ = 0;
  // serve()'s scratch.
  std::vector<iovec> iov_;
  std::array<std::array<std::uint8_t, wire::kPieceHeaderSize>, kBatch> heads_{};
  std::array<std::shared_ptr<const std::vector<std::uint8_t>>, kBatch> held_;  // block bytes until sent
  std::vector<wire::BlockRef> unserved_;
};

}  // namespace fluxo
