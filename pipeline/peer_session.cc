#include "pipeline/peer_session.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <random>

#include "net/message_reader.h"
#include "net/peer_socket.h"
#include "net/wire.h"
#include "pipeline/piece_pipeline.h"
#include "pipeline/request_depth.h"
#include "pipeline/upload_queue.h"

namespace fluxo {
namespace {

using Clock = std::chrono::steady_clock;
using wire::BlockRef;
using wire::MsgId;

constexpr std::chrono::milliseconds kPoll{200};
constexpr std::chrono::milliseconds kShortPoll{20};
constexpr std::chrono::seconds kKeepAlive{60};
constexpr std::uint32_t kMaxUnrequestedBlocks = 64;
constexpr std::uint32_t kMaxAllowedFast = 64;  // BEP 6 suggests 10; more is ignored
constexpr std::uint32_t kMaxIdleKeepAlives = 1024;  // keep-alives in a row, nothing else
constexpr std::size_t kEndgameIdle = 4;       // duplicate only below this many requests
constexpr std::uint32_t kEndgameDepth = 16;   // and keep at most this many
// Rejects with no block in between (beyond those answering a choke): a peer
// that rejects everything loses the connection after this many.
constexpr std::uint32_t kMaxRejectsInRow = 256;
constexpr std::size_t kMaxRejectedKept = 1024;  // blocks never asked of this peer again

Status violation(const std::string& who, const std::string& what) {
  return Status(ErrorCode::protocol_error, who + ": " + what);
}

struct Outstanding {
  BlockRef ref;
  std::shared_ptr<ActivePiece> piece;
};

class Session {
 public:
  Session(SwarmState& s, const PeerAddress& a, std::shared_ptr<PeerLink> link, const PeerConfig& c,
          std::optional<PeerSocket> accepted, std::optional<wire::Handshake> theirs)
      : s_(s), addr_(a), who_(accepted ? accepted->remote() : a.to_string()), cfg_(c),
        id_(link->id), link_(std::move(link)), sock_(std::move(accepted)), incoming_(sock_.has_value()),
        theirs_(theirs),
        has_(s.meta.piece_count()), allowed_(s.meta.piece_count()), depth_(c.initial_depth, c.max_requests),
        rng_(std::random_device{}() ^ id_),
        max_len_(wire::max_message_length(s.meta.piece_count())),
        in_(std::max<std::size_t>(256 * 1024, max_len_ + 64)) {}

  ~Session() {
    s_.roster.remove(link_.get());
    release_all();
    if (counted_) s_.counters.connected.fetch_sub(1);
    if (id_claimed_) s_.peers.release_peer_id(link_->ip, peer_id_, id_);
    s_.picker.remove_peer(has_);  // exactly what add_peer/add_have counted
  }

  Status run() {
    if (!incoming_) {
      auto sock = PeerSocket::connect(addr_, cfg_.connect_timeout, s_.bind_ip);
      if (!sock) return sock.status();
      sock_.emplace(std::move(*sock));
    }
    sock_->watch(&s_.stop, link_->drop.get());  // a slow reader cannot hold up the end, or a drop
    s_.counters.connected.fetch_add(1);
    counted_ = true;
    if (Status st = handshake(); !st) return st;
    return loop();
  }

 private:
  // Complete: stay only to seed, and only for peers that lack something.
  bool stopping() const {
    if (halted()) return true;
    if (!s_.have.all()) return false;
    return !s_.seeding.load(std::memory_order_relaxed) || has_.all();
  }

  // The whole download stops, or this connection was dropped (banned,
  // evicted, replaced by a crossed connection).
  bool halted() const {
    return s_.stop.load(std::memory_order_relaxed) || link_->drop->load(std::memory_order_relaxed);
  }
  Status halt_status() const {
    return Status(ErrorCode::cancelled, who_ + (s_.stop.load() ? ": stopped" : ": dropped"));
  }

  // Reads exactly buf.size() bytes, waking up to notice a stop.
  Status read_exact(std::span<std::uint8_t> buf, Clock::time_point deadline) {
    std::size_t got = 0;
    while (got < buf.size()) {
      if (halted()) return halt_status();
      if (Clock::now() > deadline) return Status(ErrorCode::network_error, who_ + ": timed out mid-message");
      auto r = sock_->receive_some(buf.subspan(got), kPoll);
      if (!r) return r.status();
      got += *r;
    }
    last_recv_ = Clock::now();
    return Status::ok();
  }

  // Reads the rest of a block into its piece buffer. The input buffer is
  // empty here (everything buffered was part of this block), so whatever
  // follows the block in the same read lands at its start: at most one
  // PIECE header, so the next block is read straight to its buffer too.
  Status read_block_tail(std::span<std::uint8_t> target) {
    in_begin_ = in_end_ = 0;
    const auto deadline = Clock::now() + cfg_.request_timeout;
    std::size_t got = 0;
    while (got < target.size()) {
      if (halted()) return halt_status();
      if (Clock::now() > deadline) return Status(ErrorCode::network_error, who_ + ": timed out mid-message");
      auto r = sock_->receive_some(target.subspan(got), std::span(in_).first(wire::kPieceHeaderSize), kPoll);
      if (!r) return r.status();
      std::size_t into_target = std::min(*r, target.size() - got);
      got += into_target;
      in_end_ += *r - into_target;
    }
    last_recv_ = Clock::now();
    return Status::ok();
  }

  // Outgoing: ours first. Incoming: theirs first, and ours only if it is
  // for our torrent.
  Status handshake() {
    wire::Handshake ours;
    ours.info_hash = s_.meta.info_hash;
    ours.peer_id = s_.our_id;
    ours.set_fast();
    std::array<std::uint8_t, wire::kHandshakeSize> mine{};
    wire::encode_handshake(ours, mine);
    if (!incoming_) {
      if (Status st = sock_->send_all(mine); !st) return st;
    }
    if (!theirs_) {
      std::array<std::uint8_t, wire::kHandshakeSize> buf{};
      if (Status st = read_exact(buf, Clock::now() + cfg_.handshake_timeout); !st) return st;
      auto decoded = wire::decode_handshake(buf);
      if (!decoded) return violation(who_, decoded.status().message());
      theirs_ = *decoded;
    }
    const wire::Handshake* theirs = &*theirs_;
    if (theirs->info_hash != s_.meta.info_hash) return violation(who_, "handshake for another torrent");
    if (s_.peers.banned(link_->ip)) return violation(who_, "banned");
    if (incoming_) {
      if (Status st = sock_->send_all(mine); !st) return st;
    }
    if (theirs->peer_id == s_.our_id) {
      if (!incoming_) s_.peers.forget(addr_);  // a tracker listed our own address
      return violation(who_, "connected to ourselves");
    }
    peer_id_ = theirs->peer_id;
    if (!s_.peers.claim_peer_id(link_->ip, peer_id_, s_.our_id, !incoming_, id_, link_->drop)) {
      return violation(who_, "second connection from one peer id");
    }
    id_claimed_ = true;
    fast_ = theirs->supports_fast();
    link_->ready.store(true, std::memory_order_release);
    upload_.emplace(s_, who_, *link_, fast_);

    // What we have. Pieces completed after this point get a HAVE (perhaps
    // one the bitfield already told: harmless).
    haves_sent_ = s_.completed.size();
    std::uint32_t have = s_.have.count();
    if (fast_ && have == 0) {
      put_simple(MsgId::have_none);
    } else if (fast_ && s_.have.all()) {
      put_simple(MsgId::have_all);
    } else if (have > 0) {
      Bitfield bf(s_.meta.piece_count());
      for (std::uint32_t i = 0; i < bf.size(); ++i) {
        if (s_.have.test(PieceIndex(i))) bf.set(PieceIndex(i));
      }
      std::size_t at = out_.size();
      out_.resize(at + 5 + bf.bytes().size());
      wire::encode_bitfield_header(bf.bytes().size(), out_.data() + at);
      std::memcpy(out_.data() + at + 5, bf.bytes().data(), bf.bytes().size());
    }
    last_recv_ = last_block_ = last_send_ = Clock::now();
    return flush();
  }

  void put_simple(MsgId id) {
    std::size_t at = out_.size();
    out_.resize(at + wire::kSimpleSize);
    wire::encode_simple(id, out_.data() + at);
  }
  void put_index(MsgId id, PieceIndex p) {
    std::size_t at = out_.size();
    out_.resize(at + wire::kHaveSize);
    wire::encode_index(id, p, out_.data() + at);
  }
  void put_block_ref(MsgId id, const BlockRef& b) {
    std::size_t at = out_.size();
    out_.resize(at + wire::kBlockRefSize);
    wire::encode_block_ref(id, b, out_.data() + at);
  }

  Status flush() {
    if (out_.empty()) return Status::ok();
    Status st = sock_->send_all(out_);
    out_.clear();
    last_send_ = Clock::now();
    return st;
  }

  Status loop() {
    while (!stopping()) {
      auto now = Clock::now();
      send_haves();
      update_interest();
      if (endgame_) cancel_arrived();
      fill_requests();
      if (upload_) upload_->sync_choke(out_);
      if (out_.empty() && now - last_send_ > kKeepAlive) {
        out_.resize(wire::kKeepAliveSize);
        wire::encode_keepalive(out_.data());
      }
      if (Status st = flush(); !st) return st;
      if (upload_) {
        auto sent = upload_->serve(*sock_, out_);
        if (!sent) return sent.status();
        if (*sent) {
          last_send_ = Clock::now();
          link_->mark_useful(last_send_);
        }
        if (Status st = flush(); !st) return st;  // rejects for what it could not serve
      }

      if (!outstanding_.empty() && now - last_block_ > cfg_.request_timeout) {
        if (peer_choking_) {
          return_outstanding();  // choked and the requests will never be served
          give_up_single_source();
          last_block_ = now;
        } else if (!snubbed_) {
          // Snubbed: its blocks go back to faster peers, and it keeps one
          // request to prove itself with.
          snubbed_ = true;
          link_->snubbed.store(true, std::memory_order_relaxed);
          s_.counters.snubbed.fetch_add(1, std::memory_order_relaxed);
          return_outstanding();
          give_up_single_source();
          last_block_ = now;
        } else {
          return Status(ErrorCode::network_error, who_ + ": no data for " +
                        std::to_string(2 * cfg_.request_timeout.count() / 1000) + " s (snubbed)");
        }
      }
      if (now - last_recv_ > cfg_.idle_timeout) return Status(ErrorCode::network_error, who_ + ": idle");

      // With blocks still to send, read only what has already arrived.
      if (upload_ && upload_->ready() && sock_->available() == 0) continue;
      if (in_end_ == in_.size()) compact();
      // A peer waiting for our unchoke is answered within kShortPoll of the
      // choker's decision, not a whole kPoll later.
      const bool awaiting_unchoke =
          upload_ && upload_->choking() && link_->interested.load(std::memory_order_relaxed);
      auto r = sock_->receive_some(std::span(in_).subspan(in_end_), awaiting_unchoke ? kShortPoll : kPoll);
      if (!r) return r.status();
      if (*r == 0) {
        depth_.update(Clock::now());
        continue;
      }
      in_end_ += *r;
      last_recv_ = Clock::now();
      if (Status st = process_input(); !st) return st;
    }
    return Status::ok();
  }

  void compact() {
    if (in_begin_ == 0) return;
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }

  Status process_input() {
    while (true) {
      if (halted()) return halt_status();  // banned or stopped: nothing more of its input counts
      auto f = wire::next_frame(std::span<const std::uint8_t>(in_).subspan(in_begin_, in_end_ - in_begin_),
                                s_.meta.piece_count(), max_len_);
      if (f.kind == wire::Frame::Kind::need_more) break;
      if (f.kind == wire::Frame::Kind::error) return violation(who_, f.error);
      in_begin_ += f.size;
      if (f.kind == wire::Frame::Kind::keep_alive) {
        if (++keepalives_in_row_ > kMaxIdleKeepAlives) return violation(who_, "keep-alive flood");
        continue;
      }
      keepalives_in_row_ = 0;
      if (f.kind == wire::Frame::Kind::piece) {
        if (Status st = receive_block(f.block); !st) return st;
      } else {
        auto msg = wire::decode_message(f.body, s_.meta.piece_count());
        if (!msg) return violation(who_, msg.status().message());
        if (Status st = handle(*msg); !st) return st;
      }
      any_message_ = true;
    }
    if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
    return Status::ok();
  }

  // The 13-byte header of a PIECE message was consumed; ref.length bytes of
  // block follow, some already buffered. They go straight to the piece's
  // buffer, or are discarded if we did not ask for them or already have them.
  Status receive_block(const BlockRef& ref) {
    std::shared_ptr<ActivePiece> piece;
    for (auto it = outstanding_.begin(); it != outstanding_.end(); ++it) {
      if (it->ref == ref) {
        piece = std::move(it->piece);
        outstanding_.erase(it);
        break;
      }
    }
    std::uint8_t* dest = nullptr;
    ActivePiece::Claim claim;
    if (piece) {
      claim = piece->begin_block(ref.begin, ref.length, link_->ip);
      if (claim.arrival == ActivePiece::Arrival::write) dest = piece->data() + ref.begin;
    } else if (!forget_cancelled(ref) && ++unrequested_ > kMaxUnrequestedBlocks) {
      return violation(who_, "too many blocks we never requested");
    }
    std::size_t buffered = std::min<std::size_t>(in_end_ - in_begin_, ref.length);
    if (dest) std::memcpy(dest, in_.data() + in_begin_, buffered);
    in_begin_ += buffered;
    if (buffered < ref.length) {
      std::size_t rest = ref.length - buffered;
      Status st;
      if (dest) {
        st = read_block_tail(std::span(dest + buffered, rest));
      } else {
        scratch_.resize(rest);
        st = read_exact(scratch_, Clock::now() + cfg_.request_timeout);
      }
      if (!st) {
        if (dest) piece->abort_block(ref.begin, claim.token);
        return st;
      }
    }
    auto now = Clock::now();
    last_block_ = now;
    rejects_in_row_ = 0;
    if (snubbed_) {
      snubbed_ = false;
      link_->snubbed.store(false, std::memory_order_relaxed);
    }
    if (!dest) {
      s_.counters.wasted.fetch_add(ref.length, std::memory_order_relaxed);
      return Status::ok();
    }
    auto written = piece->block_written(ref.begin, claim.token);
    if (written == ActivePiece::Written::discarded) return Status::ok();  // withdrawn meanwhile (a ban, a reset)
    link_->mark_useful(now);
    if (!delivered_) {
      delivered_ = true;
      s_.counters.peers_used.fetch_add(1);
    }
    s_.counters.payload_received.fetch_add(ref.length, std::memory_order_relaxed);
    link_->downloaded.fetch_add(ref.length, std::memory_order_relaxed);
    depth_.on_block(ref.length, now);
    if (written == ActivePiece::Written::complete) {
      s_.active.remove(piece.get());
      std::erase(mine_, piece);
      s_.pipeline->submit(std::move(piece), *s_.target);
    }
    return Status::ok();
  }

  Status handle(const wire::Message& m) {
    switch (m.id) {
      case MsgId::choke:
        peer_choking_ = true;
        // Without the fast extension a choke discards every pending request
        // (and a single-source piece goes to a peer that will send it);
        // with it, a reject follows for each: those are expected.
        if (!fast_) {
          return_outstanding();
          give_up_single_source();
        }
        rejects_expected_ = static_cast<std::uint32_t>(outstanding_.size());
        depth_.on_loss();
        break;
      case MsgId::unchoke:
        peer_choking_ = false;
        last_block_ = Clock::now();
        break;
      case MsgId::interested:
      case MsgId::not_interested:
        link_->interested.store(m.id == MsgId::interested, std::memory_order_relaxed);
        if (m.id == MsgId::interested) promote();
        break;
      case MsgId::have:
        if (!has_.test(m.piece)) {
          has_.set(m.piece);
          s_.picker.add_have(m.piece);
          if (!s_.have.test(m.piece)) want_interest_ = true;
        }
        break;
      case MsgId::bitfield: {
        // BEP 3 allows it only first, but aria2c sends one later as an
        // update (after HAVE_NONE): taken as the peer's new set of pieces.
        Bitfield bf;
        if (!Bitfield::from_wire(m.payload, s_.meta.piece_count(), bf)) {
          return violation(who_, "bitfield with spare bits set");
        }
        if (any_message_) s_.picker.remove_peer(has_);
        has_ = std::move(bf);
        s_.picker.add_peer(has_);
        want_interest_ = true;
        break;
      }
      case MsgId::have_all:
      case MsgId::have_none:
        if (!fast_) return violation(who_, "fast-extension message without the extension");
        if (any_message_) return violation(who_, "have-all/none after other messages");
        if (m.id == MsgId::have_all) {
          has_.set_all();
          s_.picker.add_peer(has_);
          want_interest_ = true;
        }
        break;
      case MsgId::reject: {
        if (!fast_) return violation(who_, "reject without the fast extension");
        BlockRef ref{m.piece, m.begin, m.length};
        for (auto it = outstanding_.begin(); it != outstanding_.end(); ++it) {
          if (it->ref == ref) {
            // The block goes to other peers first: it is never asked of
            // this peer again, and the peer's depth shrinks.
            it->piece->return_block(ref.begin);
            outstanding_.erase(it);
            if (rejected_.size() < kMaxRejectedKept) rejected_.insert(block_key(ref));
            depth_.on_loss();
            break;
          }
          // (a reject for a block we no longer wait for is harmless)
        }
        // The rejects that answer a choke (one per request outstanding then)
        // are the fast extension at work; beyond those, a peer that rejects
        // request after request without sending a block is of no use.
        if (rejects_expected_ > 0) {
          --rejects_expected_;
        } else if (++rejects_in_row_ > kMaxRejectsInRow) {
          return violation(who_, "rejects every request");
        }
        break;
      }
      case MsgId::request:
        return upload_->on_request(BlockRef{m.piece, m.begin, m.length}, out_);
      case MsgId::allowed_fast:
        // Pieces we may request while choked (BEP 6). The set is bounded:
        // a peer cannot make us track more than kMaxAllowedFast.
        if (!fast_) return violation(who_, "allowed-fast without the fast extension");
        if (allowed_.count() < kMaxAllowedFast) allowed_.set(m.piece);
        break;
      case MsgId::suggest:
        if (!fast_) return violation(who_, "suggest without the fast extension");
        break;
      case MsgId::cancel:
        return upload_->on_cancel(BlockRef{m.piece, m.begin, m.length}, out_);
      case MsgId::port:
      default:
        break;
    }
    return Status::ok();
  }

  void update_interest() {
    if (am_interested_ && s_.have.all()) {
      put_simple(MsgId::not_interested);
      am_interested_ = false;
      link_->wanted.store(false, std::memory_order_relaxed);
      return;
    }
    if (!want_interest_ || am_interested_ || !s_.downloading) return;
    want_interest_ = false;
    for (std::uint32_t i = 0; i < has_.size(); ++i) {
      if (has_.test(PieceIndex(i)) && !s_.have.test(PieceIndex(i))) {
        put_simple(MsgId::interested);
        am_interested_ = true;
        link_->wanted.store(true, std::memory_order_relaxed);
        promote();
        return;
      }
    }
  }

  // A connection on probation (it came when every slot was taken) that
  // turns out useful takes the slot of the least useful peer, if there is
  // one; otherwise its probation runs out (see pipeline/peer_roster.h).
  void promote() {
    if (link_->provisional.load(std::memory_order_relaxed)) (void)s_.roster.promote(*link_, Clock::now());
  }

  void send_haves() {
    std::uint32_t n = s_.completed.size();
    for (; haves_sent_ < n; ++haves_sent_) {
      PieceIndex p = s_.completed.at(haves_sent_);
      if (!has_.test(p)) put_index(MsgId::have, p);
    }
  }

  // End-game: cancel our requests for blocks another peer delivered first.
  void cancel_arrived() {
    for (auto it = outstanding_.begin(); it != outstanding_.end();) {
      if (it->piece->has_block(it->ref.begin)) {
        put_block_ref(MsgId::cancel, it->ref);
        it->piece->return_block(it->ref.begin);
        remember_cancelled(it->ref);
        it = outstanding_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // The next block to request from the pieces in `offer` (what the peer
  // has; while choked, only its allowed-fast pieces). Blocks the peer
  // rejected are not asked of it again.
  std::optional<Outstanding> next_block(const Bitfield& offer, bool choked) {
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
      if ((*it)->single_source() && awaiting((*it).get())) {
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
      if (auto idx = s_.picker.pick(offer, rng_)) {
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
        if (!s_.picker.anything_to_claim(has_)) {
          endgame_ = true;
          if (outstanding_.size() >= kEndgameIdle) return std::nullopt;
          for (const auto& o : outstanding_) exclude.push_back(o.ref);
          if (auto p = s_.active.find_work(offer, 2, exclude, skip, id_, ref)) return Outstanding{ref, p};
        }
      }
    }
    return std::nullopt;
  }

  void fill_requests() {
    if (!am_interested_) return;
    const bool choked = peer_choking_;
    if (choked) {
      // BEP 6: allowed-fast pieces may be requested while choked.
      if (!fast_ || allowed_.none()) return;
      allowed_offer_ = Bitfield(has_.size());
      for (std::uint32_t i = 0; i < has_.size(); ++i) {
        if (allowed_.test(PieceIndex(i)) && has_.test(PieceIndex(i))) allowed_offer_.set(PieceIndex(i));
      }
      if (allowed_offer_.none()) return;
    }
    std::uint32_t want = endgame_ ? std::min<std::uint32_t>(depth_.depth(), kEndgameDepth) : depth_.depth();
    if (snubbed_) want = 1;
    while (outstanding_.size() < want) {
      auto next = next_block(choked ? allowed_offer_ : has_, choked);
      if (!next) break;
      put_block_ref(MsgId::request, next->ref);
      outstanding_.push_back(std::move(*next));
    }
  }

  void return_outstanding() {
    for (auto& o : outstanding_) {
      o.piece->return_block(o.ref.begin);
      remember_cancelled(o.ref);
    }
    outstanding_.clear();
  }

  // Blocks we stopped waiting for may still be on the wire: when they come
  // they are waste, not a protocol violation.
  void remember_cancelled(const BlockRef& ref) {
    cancelled_.push_back(ref);
    if (cancelled_.size() > 4096) cancelled_.pop_front();
  }
  bool forget_cancelled(const BlockRef& ref) {
    auto it = std::find(cancelled_.begin(), cancelled_.end(), ref);
    if (it == cancelled_.end()) return false;
    cancelled_.erase(it);
    return true;
  }

  // Whether a request for a block of `p` is on the wire.
  bool awaiting(const ActivePiece* p) const {
    return std::any_of(outstanding_.begin(), outstanding_.end(), [p](const Outstanding& o) { return o.piece.get() == p; });
  }
  bool refused_any(const ActivePiece& p) const {
    if (rejected_.empty()) return false;
    for (std::uint32_t b = 0; b < p.block_count(); ++b) {
      if (rejected_.count(block_key(p.block_ref(b)))) return true;
    }
    return false;
  }

  // A choke, a snub or a time-out: the single-source pieces this peer owns
  // and has nothing on the wire for go to another peer, so one stingy owner
  // cannot hold a piece back.
  void give_up_single_source() {
    for (auto it = mine_.begin(); it != mine_.end();) {
      if ((*it)->single_source() && !awaiting((*it).get())) {
        (*it)->disown(id_);
        it = mine_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void release_all() {
    return_outstanding();
    // The pieces stay in the registry for other peers; what this peer left
    // of a single-source piece is discarded.
    for (const auto& p : mine_) p->disown(id_);
    mine_.clear();
  }

  SwarmState& s_;
  PeerAddress addr_;
  std::string who_;
  PeerConfig cfg_;
  std::uint32_t id_;
  std::shared_ptr<PeerLink> link_;  // in the roster from admission to the end
  std::optional<PeerSocket> sock_;
  bool incoming_ = false;  // it connected to us
  std::optional<wire::Handshake> theirs_;  // read by the listener for an incoming peer
  wire::PeerId peer_id_{};
  bool id_claimed_ = false;
  bool counted_ = false;
  bool fast_ = false;
  Bitfield has_;
  Bitfield allowed_;        // allowed-fast pieces (BEP 6), at most kMaxAllowedFast
  Bitfield allowed_offer_;  // has_ and allowed_, rebuilt while choked
  bool snubbed_ = false;
  std::optional<UploadQueue> upload_;  // from the handshake on
  std::uint32_t keepalives_in_row_ = 0;
  bool any_message_ = false;
  bool peer_choking_ = true;
  bool am_interested_ = false;
  bool want_interest_ = false;
  bool endgame_ = false;
  bool delivered_ = false;
  std::uint32_t unrequested_ = 0;
  std::uint32_t haves_sent_ = 0;
  RequestDepth depth_;
  std::minstd_rand rng_;
  std::deque<Outstanding> outstanding_;
  std::deque<BlockRef> cancelled_;
  BlockSet rejected_;  // at most kMaxRejectedKept
  std::uint32_t rejects_in_row_ = 0;   // since the last block
  std::uint32_t rejects_expected_ = 0;  // answers to a choke still to come
  std::vector<std::shared_ptr<ActivePiece>> mine_;
  std::uint32_t max_len_;
  std::vector<std::uint8_t> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::vector<std::uint8_t> out_;
  std::vector<std::uint8_t> scratch_;
  Clock::time_point last_recv_{}, last_block_{}, last_send_{};
};

}  // namespace

Status run_peer_session(SwarmState& swarm, const PeerAddress& address, std::shared_ptr<PeerLink> link,
                        const PeerConfig& config) {
  const PeerLink* l = link.get();
  try {
    Session session(swarm, address, std::move(link), config, std::nullopt, std::nullopt);
    return session.run();
  } catch (const std::exception& e) {
    // Nothing may escape a peer task.
    swarm.roster.remove(l);
    return Status(ErrorCode::network_error, address.to_string() + ": " + e.what());
  }
}

Status run_incoming_session(SwarmState& swarm, PeerSocket socket, const wire::Handshake& theirs,
                            std::shared_ptr<PeerLink> link, const PeerConfig& config) {
  std::string who = socket.remote();
  const PeerLink* l = link.get();
  try {
    Session session(swarm, PeerAddress{}, std::move(link), config, std::move(socket), theirs);
    return session.run();
  } catch (const std::exception& e) {
    swarm.roster.remove(l);
    return Status(ErrorCode::network_error, who + ": " + e.what());
  }
}

}  // namespace fluxo
