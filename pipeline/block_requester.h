// What to ask one peer for, and when to give up on it: the request side of
// a connection, apart from its socket. It keeps the requests on the wire as
// deep as RequestDepth says, picks blocks (the peer's own pieces first, then
// pieces others left partial, then a new piece from the picker when a buffer
// is free), goes into end-game when nothing is left to claim (a nearly idle
// peer duplicates blocks others are fetching; cancels follow when they
// arrive), remembers blocks the peer rejected (never asked of it again) and
// requests we withdrew (their blocks, if they still come, are waste, not a
// violation), and judges the peer: no block for `request_timeout` while
// requests are out snubs it (its requests go back, it keeps one); twice that
// drops it; choked without the fast extension, everything goes back.
//
// Time is passed in (`now`), so the policy is tested with a fake clock
// (tests/block_requester_test.cc). Messages go to a MessageWriter.
//
// Thread-safety: one connection's task. The pieces it shares with other
// peers (ActivePiece, the registry, the picker) are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/bitfield.h"
#include "core/status.h"
#include "net/message_stream.h"
#include "pipeline/active_piece.h"
#include "pipeline/request_depth.h"
#include "pipeline/swarm_state.h"

namespace fluxo {

class BlockRequester {
 public:
  using Clock = std::chrono::steady_clock;
  struct Config {
    std::chrono::milliseconds request_timeout{20000};
    std::uint32_t initial_depth = 16;
    std::uint32_t max_requests = 1000;
  };
  // Limits on what a peer can make us track.
  static constexpr std::uint32_t kMaxUnrequestedBlocks = 64;
  static constexpr std::uint32_t kMaxAllowedFast = 64;  // BEP 6 suggests 10; more is ignored
  static constexpr std::size_t kEndgameIdle = 2;        // duplicate only below this many requests
  static constexpr std::uint32_t kEndgameDepth = 16;    // and keep at most this many
  static constexpr std::uint32_t kMaxRejectsInRow = 256;
  static constexpr std::size_t kMaxRejectedKept = 1024;
  static constexpr std::size_t kMaxCancelledKept = 4096;

  // `session` identifies this connection to single-source pieces; `link`
  // carries its snubbed flag for the choker.
  BlockRequester(SwarmState& s, std::uint32_t session, PeerLink& link, Config config, Clock::time_point now);
  // Gives everything back (release()).
  ~BlockRequester();
  BlockRequester(const BlockRequester&) = delete;
  BlockRequester& operator=(const BlockRequester&) = delete;

  // Appends requests up to the depth, from what the peer has (`has`); while
  // `choked`, only its allowed-fast pieces (fast extension).
  void fill(const Bitfield& has, bool choked, bool fast, MessageWriter& out, Clock::time_point now = Clock::now());
  // End-game: cancels our requests for blocks another peer delivered first.
  void cancel_arrived(MessageWriter& out);

  // A PIECE header for `ref` came: the piece it goes to, or null when the
  // block is not wanted (we withdrew the request: waste). An error when the
  // peer keeps sending blocks nobody asked for.
  // `now` times the wait for the depth (RequestDepth::on_wait).
  Result<std::shared_ptr<ActivePiece>> on_block_header(const wire::BlockRef& ref, const std::string& who,
                                                       Clock::time_point now = Clock::now());
  // The block was received (wanted or not): the peer is alive.
  void on_block(std::uint32_t bytes, Clock::time_point now);
  // A piece this connection completed went to the pipeline.
  void on_piece_done(const ActivePiece* piece);
  // The connection is ready (handshake done): timeouts count from now.
  void start(Clock::time_point now) { last_block_ = now; }
  void on_choke(bool fast);
  void on_unchoke(Clock::time_point now);
  Status on_reject(const wire::BlockRef& ref, const std::string& who);
  void on_allowed_fast(PieceIndex p);
  // Time passes with requests out (`choked`: the peer chokes us). Snubs the
  // peer or gives up on it (network_error).
  Status check_timeouts(bool choked, Clock::time_point now, const std::string& who);
  // Nothing arrived within a wait: the rate estimate decays.
  void idle(Clock::time_point now) { depth_.update(now); }
  // Returns every request and piece (the connection ends).
  void release();

  bool endgame() const { return endgame_; }
  bool snubbed() const { return snubbed_; }
  std::size_t outstanding() const { return outstanding_.size(); }
  std::uint32_t depth() const { return depth_.depth(); }
  const Bitfield& allowed_fast() const { return allowed_; }

 private:
  struct Outstanding {
    wire::BlockRef ref;
    std::shared_ptr<ActivePiece> piece;
    Clock::time_point asked{};
  };
  std::optional<Outstanding> next_block(const Bitfield& offer, const Bitfield& has, bool choked);
  void return_outstanding();
  void give_up_single_source();
  void remember_cancelled(const wire::BlockRef& ref);
  bool forget_cancelled(const wire::BlockRef& ref);
  bool awaiting(const ActivePiece* p) const;
  bool refused_any(const ActivePiece& p) const;

  SwarmState& s_;
  const std::uint32_t id_;
  PeerLink& link_;
  const Config cfg_;
  RequestDepth depth_;
  std::minstd_rand rng_;
  std::deque<Outstanding> outstanding_;
  std::deque<wire::BlockRef> cancelled_;  // at most kMaxCancelledKept
  BlockSet rejected_;                     // at most kMaxRejectedKept
  std::vector<std::shared_ptr<ActivePiece>> mine_;
  Bitfield allowed_;        // allowed-fast pieces (BEP 6), at most kMaxAllowedFast
  Bitfield allowed_offer_;  // has and allowed_, rebuilt while choked
  bool endgame_ = false;
  bool snubbed_ = false;
  std::uint32_t unrequested_ = 0;
  std::uint32_t rejects_in_row_ = 0;    // since the last block
  std::uint32_t rejects_expected_ = 0;  // answers to a choke still to come
  Clock::time_point last_block_;
  std::optional<PieceIndex> last_pick_;  // runs of adjacent pieces per peer
};

}  // namespace fluxo
