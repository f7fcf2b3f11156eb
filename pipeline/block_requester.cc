#include "pipeline/block_requester.h"

#include <algorithm>

namespace fluxo {

using wire::BlockRef;
using wire::MsgId;

BlockRequester::BlockRequester(SwarmState& s, std::uint32_t session, PeerLink& link, Config config,
                               Clock::time_point now)
    : s_(s), id_(session), link_(link), cfg_(config), depth_(config.initial_depth, config.max_requests),
      rng_(std::random_device{}() ^ session), allowed_(s.meta.piece_count()), last_block_(now) {}

BlockRequester::~BlockRequester() { release(); }

void BlockRequester::release() {
  return_outstanding();
  // The pieces stay in the registry for other peers; what this peer left of
  // a single-source piece is discarded.
  for (const auto& p : mine_) p->disown(id_);
  mine_.clear();
}

void BlockRequester::fill(const Bitfield& has, bool choked, bool fast, MessageWriter& out, Clock::time_point now) {
  if (choked) {
    // BEP 6: allowed-fast pieces may be requested while choked.
    if (!fast || allowed_.none()) return;
    allowed_offer_ = Bitfield(has.size());
    for (std::uint32_t i = 0; i < has.size(); ++i) {
      if (allowed_.test(PieceIndex(i)) && has.test(PieceIndex(i))) allowed_offer_.set(PieceIndex(i));
    }
    if (allowed_offer_.none()) return;
  }
  std::uint32_t want = endgame_ ? std::min<std::uint32_t>(depth_.depth(), kEndgameDepth) : depth_.depth();
  if (snubbed_) want = 1;
  while (outstanding_.size() < want) {
    auto next = next_block(choked ? allowed_offer_ : has, has, choked);
    if (!next) break;
    out.block_ref(MsgId::request, next->ref);
    next->asked = now;
    outstanding_.push_back(std::move(*next));
  }
}

// The next block to request from the pieces in `offer` (what the peer has;
// while choked, only its allowed-fast pieces). Blocks the peer rejected are
// not asked of it again.
std::optional<BlockRequester::Outstanding> BlockRequester::next_block(const Bitfield& offer, const Bitfield& has,
                                                                      bool choked) {
  const BlockSet* skip = rejected_.empty() ? nullptr : &rejected_;
  // 1. Pieces this peer claimed.
  for (auto it = mine_.begin(); it != mine_.end();) {
    if (auto b = offer.test((*it)->index()) ? (*it)->request_block(1, nullptr, skip) : std::nullopt) {
      return Outstanding{*b, *it};
    }
    // Nothing more to ask of this peer here. A single-source piece it no
    // longer offers, or whose remaining blocks it refused, goes to another
    // peer once nothing of it is on the wire from this one; a piece still
    // being received stays.
    if ((*it)->single_source() && awaiting(it->get())) {
      ++it;
      continue;
    }
    if ((*it)->single_source() && offer.test((*it)->index()) && !refused_any(**it)) {
      ++it;  // every block requested and not yet all here: it stays ours
      continue;
    }
    (*it)->disown(id_);
    it = mine_.erase(it);
  }
  // 2. Partial pieces left behind by other peers.
  BlockRef ref;
  std::vector<BlockRef> exclude;
  if (auto p = s_.active.find_work(offer, 1, exclude, skip, id_, ref)) {
    if (std::find(mine_.begin(), mine_.end(), p) == mine_.end()) mine_.push_back(p);
    return Outstanding{ref, p};
  }
  // 3. A new piece, if a buffer is free.
  if (PieceBuffer buf = s_.pool.try_acquire()) {
    if (auto idx = s_.picker.pick(offer, rng_, last_pick_)) {
      last_pick_ = *idx;
      const bool single = s_.single_source.test(*idx);
      auto piece = std::make_shared<ActivePiece>(*idx, static_cast<std::uint32_t>(s_.meta.piece_size(*idx)),
                                                 std::move(buf), single);
      (void)piece->adopt(id_);
      s_.active.add(piece);
      mine_.push_back(piece);
      if (auto b = piece->request_block(1, nullptr, skip)) return Outstanding{*b, piece};
    } else {
      buf.reset();
      if (choked) return std::nullopt;
      // 4. Nothing left to claim: end-game. A peer that is nearly idle asks
      // for blocks others are fetching, so the last pieces do not wait on
      // the slowest peer; busy peers do not, which keeps duplicates few.
      if (!s_.picker.anything_to_claim(has)) {
        endgame_ = true;
        if (outstanding_.size() >= kEndgameIdle) return std::nullopt;
        for (const auto& o : outstanding_) exclude.push_back(o.ref);
        if (auto p = s_.active.find_work(offer, 2, exclude, skip, id_, ref)) return Outstanding{ref, p};
      }
    }
  }
  return std::nullopt;
}

void BlockRequester::cancel_arrived(MessageWriter& out) {
  for (auto it = outstanding_.begin(); it != outstanding_.end();) {
    if (it->piece->has_block(it->ref.begin)) {
      out.block_ref(MsgId::cancel, it->ref);
      it->piece->return_block(it->ref.begin);
      remember_cancelled(it->ref);
      it = outstanding_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<std::shared_ptr<ActivePiece>> BlockRequester::on_block_header(const BlockRef& ref, const std::string& who,
                                                                     Clock::time_point now) {
  for (auto it = outstanding_.begin(); it != outstanding_.end(); ++it) {
    if (it->ref == ref) {
      depth_.on_wait(std::chrono::duration<double>(now - it->asked).count());
      auto piece = std::move(it->piece);
      outstanding_.erase(it);
      return piece;
    }
  }
  if (!forget_cancelled(ref) && ++unrequested_ > kMaxUnrequestedBlocks) {
    return Status(ErrorCode::protocol_error, who + ": too many blocks we never requested");
  }
  return std::shared_ptr<ActivePiece>{};
}

void BlockRequester::on_block(std::uint32_t bytes, Clock::time_point now) {
  last_block_ = now;
  rejects_in_row_ = 0;
  if (snubbed_) {
    snubbed_ = false;
    link_.snubbed.store(false, std::memory_order_relaxed);
  }
  if (bytes > 0) depth_.on_block(bytes, now);
}

void BlockRequester::on_piece_done(const ActivePiece* piece) {
  std::erase_if(mine_, [piece](const auto& p) { return p.get() == piece; });
}

void BlockRequester::on_choke(bool fast) {
  // Without the fast extension a choke discards every pending request (and
  // a single-source piece goes to a peer that will send it); with it, a
  // reject follows for each: those are expected.
  if (!fast) {
    return_outstanding();
    give_up_single_source();
  }
  rejects_expected_ = static_cast<std::uint32_t>(outstanding_.size());
  depth_.on_loss();
}

void BlockRequester::on_unchoke(Clock::time_point now) { last_block_ = now; }

Status BlockRequester::on_reject(const BlockRef& ref, const std::string& who) {
  for (auto it = outstanding_.begin(); it != outstanding_.end(); ++it) {
    if (it->ref == ref) {
      // The block goes to other peers first: it is never asked of this peer
      // again, and the peer's depth shrinks.
      it->piece->return_block(ref.begin);
      outstanding_.erase(it);
      if (rejected_.size() < kMaxRejectedKept) rejected_.insert(block_key(ref));
      depth_.on_loss();
      break;
    }
    // (a reject for a block we no longer wait for is harmless)
  }
  // The rejects that answer a choke (one per request outstanding then) are
  // the fast extension at work; beyond those, a peer that rejects request
  // after request without sending a block is of no use.
  if (rejects_expected_ > 0) {
    --rejects_expected_;
  } else if (++rejects_in_row_ > kMaxRejectsInRow) {
    return Status(ErrorCode::protocol_error, who + ": rejects every request");
  }
  return Status::ok();
}

void BlockRequester::on_allowed_fast(PieceIndex p) {
  // The set is bounded: a peer cannot make us track more than kMaxAllowedFast.
  if (allowed_.count() < kMaxAllowedFast) allowed_.set(p);
}

Status BlockRequester::check_timeouts(bool choked, Clock::time_point now, const std::string& who) {
  if (outstanding_.empty() || now - last_block_ <= cfg_.request_timeout) return Status::ok();
  if (choked) {
    return_outstanding();  // choked and the requests will never be served
    give_up_single_source();
    last_block_ = now;
  } else if (!snubbed_) {
    // Snubbed: its blocks go back to faster peers, and it keeps one request
    // to prove itself with.
    snubbed_ = true;
    link_.snubbed.store(true, std::memory_order_relaxed);
    s_.counters.snubbed.fetch_add(1, std::memory_order_relaxed);
    return_outstanding();
    give_up_single_source();
    last_block_ = now;
  } else {
    return Status(ErrorCode::network_error,
                  who + ": no data for " + std::to_string(2 * cfg_.request_timeout.count() / 1000) + " s (snubbed)");
  }
  return Status::ok();
}

void BlockRequester::return_outstanding() {
  for (auto& o : outstanding_) {
    o.piece->return_block(o.ref.begin);
    remember_cancelled(o.ref);
  }
  outstanding_.clear();
}

// A choke, a snub or a time-out: the single-source pieces this peer owns and
// has nothing on the wire for go to another peer, so one stingy owner cannot
// hold a piece back.
void BlockRequester::give_up_single_source() {
  for (auto it = mine_.begin(); it != mine_.end();) {
    if ((*it)->single_source() && !awaiting(it->get())) {
      (*it)->disown(id_);
      it = mine_.erase(it);
    } else {
      ++it;
    }
  }
}

// Blocks we stopped waiting for may still be on the wire: when they come
// they are waste, not a protocol violation.
void BlockRequester::remember_cancelled(const BlockRef& ref) {
  cancelled_.push_back(ref);
  if (cancelled_.size() > kMaxCancelledKept) cancelled_.pop_front();
}

bool BlockRequester::forget_cancelled(const BlockRef& ref) {
  auto it = std::find(cancelled_.begin(), cancelled_.end(), ref);
  if (it == cancelled_.end()) return false;
  cancelled_.erase(it);
  return true;
}

bool BlockRequester::awaiting(const ActivePiece* p) const {
  return std::any_of(outstanding_.begin(), outstanding_.end(), [p](const Outstanding& o) { return o.piece.get() == p; });
}

bool BlockRequester::refused_any(const ActivePiece& p) const {
  if (rejected_.empty()) return false;
  for (std::uint32_t b = 0; b < p.block_count(); ++b) {
    if (rejected_.count(block_key(p.block_ref(b)))) return true;
  }
  return false;
}

}  // namespace fluxo
