#include "pipeline/peer_session.h"

#include <algorithm>

#include "net/peer_socket.h"
#include "pipeline/block_requester.h"
#include "pipeline/piece_pipeline.h"
#include "pipeline/upload_queue.h"

namespace fluxo {
namespace {

using Clock = std::chrono::steady_clock;
using wire::BlockRef;
using wire::MsgId;

constexpr std::chrono::milliseconds kPoll{200};
constexpr std::chrono::milliseconds kShortPoll{20};
constexpr std::chrono::seconds kKeepAlive{60};
constexpr std::uint32_t kMaxIdleKeepAlives = 1024;  // keep-alives in a row, nothing else

Status violation(const std::string& who, const std::string& what) {
  return Status(ErrorCode::protocol_error, who + ": " + what);
}

// The state machine of one connection: handshake, then a loop that sends
// (HAVEs, interest, requests, choke changes, blocks) and reads (frames:
// blocks straight into their pieces, other messages to handle()).
class PeerConnection {
 public:
  PeerConnection(SwarmState& s, const SwarmIo& io, std::string who, const PeerAddress& a, std::shared_ptr<PeerLink> link,
                 const PeerConfig& c, std::unique_ptr<PeerStream> stream, std::optional<wire::Handshake> theirs,
                 bool incoming)
      : s_(s), io_(io), addr_(a), who_(std::move(who)), cfg_(c), id_(link->id), link_(std::move(link)),
        stream_(std::move(stream)), incoming_(incoming), theirs_(theirs), has_(s.meta.piece_count()),
        reader_(s.meta.piece_count(), kPoll),
        requests_(s, id_, *link_,
                  BlockRequester::Config{.request_timeout = c.request_timeout, .initial_depth = c.initial_depth,
                                         .max_requests = c.max_requests},
                  Clock::now()),
        stop_{&s.stop, link_->drop.get()} {
    if (cfg_.extensions) extensions_ = cfg_.extensions(incoming ? PeerAddress{link_->ip, 0} : addr_, incoming);
  }

  ~PeerConnection() {
    link_->detach();  // before the stream goes
    s_.roster.remove(link_.get());
    requests_.release();
    if (counted_) s_.counters.connected.fetch_sub(1);
    if (id_claimed_) s_.peers.release_peer_id(link_->ip, peer_id_, id_);
    s_.picker.remove_peer(has_);  // exactly what add_peer/add_have counted
  }

  Status run() {
    bool sent = false;  // our handshake
    bool fell_back = false, plain_first = false;
    if (!stream_) {
      const DialOptions o{.connect_timeout = cfg_.connect_timeout,
                          .handshake_timeout = cfg_.handshake_timeout,
                          .bind_ip = s_.bind_ip,
                          .encryption = cfg_.encryption,
                          .plain_first = s_.peers.plain_first(addr_)};
      plain_first = o.plain_first;
      auto d = dial_peer(addr_, s_.meta.info_hash, our_handshake(), o, stop_);
      if (!d) return d.status();
      stream_ = std::move(d->stream);
      sent = d->handshake_sent;
      fell_back = d->fell_back;
      if (d->mse) s_.counters.encrypted.fetch_add(1);
      if (d->rc4) s_.counters.rc4.fetch_add(1);
    }
    stream_->watch(&s_.stop, link_->drop.get());  // a slow reader cannot hold up the end, or a drop
    link_->attach(stream_.get());                 // a stop or a drop wakes a blocked receive
    s_.counters.connected.fetch_add(1);
    counted_ = true;
    Status st = handshake(sent);
    // The address answered plain after MSE failed: plain first next time.
    // One that stops answering plain is asked with MSE again.
    if (fell_back || plain_first) s_.peers.note_plain(addr_, st.is_ok() || st.code() == ErrorCode::cancelled);
    if (st) st = loop();
    // Woken by a stop or a drop: that is why it ended, not the error the
    // interrupted call returned.
    if (!st && stop_.raised()) return stop_.status(who_);
    return st;
  }

 private:
  // Complete: stay only to seed, and only for peers that lack something.
  bool stopping() const {
    if (stop_.raised()) return true;
    if (!s_.done()) return false;
    if (!s_.seeding.load(std::memory_order_relaxed) || has_.all()) return true;
    // Seeding some files only: a peer that lacks nothing we have is of no
    // use to either side.
    for (std::uint32_t w = 0; w < s_.have.word_count(); ++w) {
      if (s_.have.word(w) & ~has_.word(w)) return false;
    }
    return true;
  }

  // Outgoing: ours first. Incoming: theirs first, and ours only if it is
  // for our torrent.
  std::array<std::uint8_t, wire::kHandshakeSize> our_handshake() const {
    wire::Handshake ours;
    ours.info_hash = s_.meta.info_hash;
    ours.peer_id = s_.our_id;
    ours.set_fast();
    if (extensions_) extensions_->reserve(ours);
    std::array<std::uint8_t, wire::kHandshakeSize> mine{};
    wire::encode_handshake(ours, mine);
    return mine;
  }

  // `sent`: ours went out already (with an MSE handshake).
  Status handshake(bool sent) {
    const auto mine = our_handshake();
    if (!incoming_ && !sent) {
      if (Status st = stream_->send_all(mine); !st) return st;
    }
    if (!theirs_) {
      std::array<std::uint8_t, wire::kHandshakeSize> buf{};
      if (Status st = reader_.read_exact(*stream_, buf, Clock::now() + cfg_.handshake_timeout, stop_); !st) return st;
      auto decoded = wire::decode_handshake(buf);
      if (!decoded) return violation(who_, decoded.status().message());
      theirs_ = *decoded;
    }
    const wire::Handshake& theirs = *theirs_;
    if (theirs.info_hash != s_.meta.info_hash) return violation(who_, "handshake for another torrent");
    if (s_.peers.banned(link_->ip)) return violation(who_, "banned");
    if (incoming_) {
      if (Status st = stream_->send_all(mine); !st) return st;
    }
    if (theirs.peer_id == s_.our_id) {
      if (!incoming_) {  // a tracker listed our own address
        s_.peers.forget(addr_);
        if (s_.on_ourselves) s_.on_ourselves(addr_);
      }
      return violation(who_, "connected to ourselves");
    }
    peer_id_ = theirs.peer_id;
    if (!s_.peers.claim_peer_id(link_->ip, peer_id_, s_.our_id, !incoming_, id_, link_->drop)) {
      return violation(who_, "second connection from one peer id");
    }
    id_claimed_ = true;
    fast_ = theirs.supports_fast();
    link_->ready.store(true, std::memory_order_release);
    upload_.emplace(s_, io_.upload, io_.upload_limit, who_, *link_, fast_);

    // What we have. Pieces completed after this point get a HAVE (perhaps
    // one the bitfield already told: harmless).
    haves_sent_ = s_.completed.size();
    std::uint32_t have = s_.have.count();
    if (fast_ && have == 0) {
      out_.simple(MsgId::have_none);
    } else if (fast_ && s_.have.all()) {
      out_.simple(MsgId::have_all);
    } else if (have > 0) {
      Bitfield bf(s_.meta.piece_count());
      for (std::uint32_t i = 0; i < bf.size(); ++i) {
        if (s_.have.test(PieceIndex(i))) bf.set(PieceIndex(i));
      }
      out_.bitfield(bf);
    }
    if (extensions_) {
      if (Status st = extensions_->on_handshake(theirs, out_); !st) return st;
    }
    last_recv_ = last_send_ = Clock::now();
    requests_.start(last_recv_);
    return flush();
  }

  Status flush() {
    if (out_.empty()) return Status::ok();
    last_send_ = Clock::now();
    return out_.flush(*stream_);
  }

  Status loop() {
    while (!stopping()) {
      auto now = Clock::now();
      send_haves();
      update_interest();
      if (requests_.endgame()) requests_.cancel_arrived(out_);
      if (am_interested_) requests_.fill(has_, peer_choking_, fast_, out_, now);
      if (upload_) upload_->sync_choke(out_.buffer());
      if (extensions_) extensions_->tick(out_);
      if (out_.empty() && now - last_send_ > kKeepAlive) out_.keep_alive();
      if (Status st = flush(); !st) return st;
      if (upload_) {
        auto sent = upload_->serve(*stream_, out_.buffer());
        if (!sent) return sent.status();
        if (*sent) {
          last_send_ = Clock::now();
          link_->mark_useful(last_send_);
        }
        if (Status st = flush(); !st) return st;  // rejects for what it could not serve
      }
      if (Status st = requests_.check_timeouts(peer_choking_, now, who_); !st) return st;
      if (now - last_recv_ > cfg_.idle_timeout) return Status(ErrorCode::network_error, who_ + ": idle");

      // With blocks still to send, read only what has already arrived.
      if (upload_ && upload_->ready() && stream_->available() == 0) continue;
      // A peer waiting for our unchoke is answered within kShortPoll of the
      // choker's decision, not a whole kPoll later.
      const bool awaiting_unchoke =
          upload_ && upload_->choking() && link_->interested.load(std::memory_order_relaxed);
      auto r = reader_.fill(*stream_, awaiting_unchoke ? kShortPoll : kPoll);
      if (!r) return r.status();
      if (*r == 0) {
        requests_.idle(Clock::now());
        continue;
      }
      last_recv_ = Clock::now();
      if (Status st = process_input(); !st) return st;
    }
    return Status::ok();
  }

  Status process_input() {
    while (true) {
      if (stop_.raised()) return stop_.status(who_);  // banned or stopped: nothing more of its input counts
      auto f = reader_.next();
      if (f.kind == wire::Frame::Kind::need_more) break;
      if (f.kind == wire::Frame::Kind::error) return violation(who_, f.error);
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
        // BEP 10's handshake comes "immediately after the standard
        // handshake", before the bitfield (libtorrent, aria2c): it does not
        // count against the bitfield (or have-all/none) being first.
        if (msg->id == wire::MsgId::extended || msg->id == wire::MsgId::port) continue;
      }
      any_message_ = true;
    }
    return Status::ok();
  }

  // A PIECE header was read; the block's bytes follow. They go straight to
  // the piece's buffer, or are discarded if we did not ask for them (or
  // withdrew the request) or another peer's copy won.
  Status receive_block(const BlockRef& ref) {
    const auto arrived = Clock::now();  // one clock read: the wait's end and the read's deadline
    auto wanted = requests_.on_block_header(ref, who_, arrived);
    if (!wanted) return wanted.status();
    std::shared_ptr<ActivePiece> piece = std::move(*wanted);
    ActivePiece::Claim claim;
    std::uint8_t* dest = nullptr;
    if (piece) {
      claim = piece->begin_block(ref.begin, ref.length, link_->ip);
      if (claim.arrival == ActivePiece::Arrival::write) dest = piece->data() + ref.begin;
    }
    const auto deadline = arrived + cfg_.request_timeout;
    Status st = dest ? reader_.read_block(*stream_, std::span(dest, ref.length), deadline, stop_)
                     : reader_.skip_block(*stream_, ref.length, deadline, stop_);
    if (!st) {
      if (dest) piece->abort_block(ref.begin, claim.token);
      return st;
    }
    auto now = Clock::now();
    last_recv_ = now;
    if (!dest) {
      requests_.on_block(0, now);
      s_.counters.wasted.fetch_add(ref.length, std::memory_order_relaxed);
      return Status::ok();
    }
    auto written = piece->block_written(ref.begin, claim.token);
    if (written == ActivePiece::Written::discarded) {  // withdrawn meanwhile (a ban, a reset)
      requests_.on_block(0, now);
      return Status::ok();
    }
    requests_.on_block(ref.length, now);
    link_->mark_useful(now);
    if (!delivered_) {
      delivered_ = true;
      s_.counters.peers_used.fetch_add(1);
    }
    s_.counters.payload_received.fetch_add(ref.length, std::memory_order_relaxed);
    link_->downloaded.fetch_add(ref.length, std::memory_order_relaxed);
    if (written == ActivePiece::Written::complete) {
      s_.active.remove(piece.get());
      requests_.on_piece_done(piece.get());
      io_.pipeline.submit(std::move(piece), io_.target);
    }
    return Status::ok();
  }

  Status handle(const wire::Message& m) {
    switch (m.id) {
      case MsgId::choke:
        peer_choking_ = true;
        requests_.on_choke(fast_);
        break;
      case MsgId::unchoke:
        peer_choking_ = false;
        requests_.on_unchoke(Clock::now());
        break;
      case MsgId::interested:
      case MsgId::not_interested: {
        const bool was = link_->interested.exchange(m.id == MsgId::interested, std::memory_order_relaxed);
        if (m.id == MsgId::interested) {
          promote();
          // Newly interested while choked: the choker decides now. Only on
          // the change and at most once per kShortPoll, so a peer repeating
          // itself (or flapping) cannot spin the supervisor.
          const auto now = Clock::now();
          if (!was && upload_ && upload_->choking() && io_.wake && now - last_wake_ >= kShortPoll) {
            last_wake_ = now;
            io_.wake();
          }
        }
        break;
      }
      case MsgId::have:
        if (!has_.test(m.piece)) {
          has_.set(m.piece);
          s_.picker.add_have(m.piece);
          if (s_.wants(m.piece)) want_interest_ = true;
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
      case MsgId::reject:
        if (!fast_) return violation(who_, "reject without the fast extension");
        return requests_.on_reject(BlockRef{m.piece, m.begin, m.length}, who_);
      case MsgId::request:
        return upload_->on_request(BlockRef{m.piece, m.begin, m.length}, out_.buffer());
      case MsgId::allowed_fast:
        // Pieces we may request while choked (BEP 6).
        if (!fast_) return violation(who_, "allowed-fast without the fast extension");
        requests_.on_allowed_fast(m.piece);
        break;
      case MsgId::suggest:
        if (!fast_) return violation(who_, "suggest without the fast extension");
        break;
      case MsgId::cancel:
        return upload_->on_cancel(BlockRef{m.piece, m.begin, m.length}, out_.buffer());
      case MsgId::extended:
        if (!extensions_) break;  // we did not offer it
        if (m.payload.empty()) return violation(who_, "extended message without an id");
        return extensions_->on_extended(m.payload[0], m.payload.subspan(1), out_);
      case MsgId::port:
      default:
        break;
    }
    return Status::ok();
  }

  void update_interest() {
    if (am_interested_ && s_.done()) {
      out_.simple(MsgId::not_interested);
      am_interested_ = false;
      link_->wanted.store(false, std::memory_order_relaxed);
      return;
    }
    if (!want_interest_ || am_interested_ || !s_.downloading) return;
    want_interest_ = false;
    for (std::uint32_t i = 0; i < has_.size(); ++i) {
      if (has_.test(PieceIndex(i)) && s_.wants(PieceIndex(i))) {
        out_.simple(MsgId::interested);
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
      if (!has_.test(p)) out_.index(MsgId::have, p);
    }
  }

  SwarmState& s_;
  const SwarmIo& io_;
  PeerAddress addr_;
  std::string who_;
  PeerConfig cfg_;
  std::uint32_t id_;
  std::shared_ptr<PeerLink> link_;  // in the roster from admission to the end
  std::unique_ptr<PeerStream> stream_;
  bool incoming_ = false;  // it connected to us
  std::optional<wire::Handshake> theirs_;  // read by the listener for an incoming peer
  wire::PeerId peer_id_{};
  bool id_claimed_ = false;
  bool counted_ = false;
  bool fast_ = false;
  Bitfield has_;
  MessageReader reader_;
  MessageWriter out_;
  BlockRequester requests_;
  StopFlags stop_;
  std::unique_ptr<PeerExtensions> extensions_;
  std::optional<UploadQueue> upload_;  // from the handshake on
  Clock::time_point last_wake_{};      // of the supervisor, for this peer's interest
  std::uint32_t keepalives_in_row_ = 0;
  bool any_message_ = false;
  bool peer_choking_ = true;
  bool am_interested_ = false;
  bool want_interest_ = false;
  bool delivered_ = false;
  std::uint32_t haves_sent_ = 0;
  Clock::time_point last_recv_{}, last_send_{};
};

Status run_connection(SwarmState& swarm, const SwarmIo& io, std::string who, const PeerAddress& address,
                      std::shared_ptr<PeerLink> link, const PeerConfig& config, std::unique_ptr<PeerStream> stream,
                      std::optional<wire::Handshake> theirs, bool incoming) {
  const PeerLink* l = link.get();
  try {
    PeerConnection c(swarm, io, who, address, std::move(link), config, std::move(stream), theirs, incoming);
    return c.run();
  } catch (const std::exception& e) {
    // Nothing may escape a peer task.
    swarm.roster.remove(l);
    return Status(ErrorCode::network_error, who + ": " + e.what());
  }
}

}  // namespace

Status run_peer_session(SwarmState& swarm, const SwarmIo& io, const PeerAddress& address,
                        std::shared_ptr<PeerLink> link, const PeerConfig& config) {
  return run_connection(swarm, io, address.to_string(), address, std::move(link), config, nullptr, std::nullopt, false);
}

Status run_outgoing_session(SwarmState& swarm, const SwarmIo& io, std::unique_ptr<PeerStream> stream,
                            const PeerAddress& address, std::shared_ptr<PeerLink> link, const PeerConfig& config) {
  return run_connection(swarm, io, address.to_string(), address, std::move(link), config, std::move(stream),
                        std::nullopt, false);
}

Status run_incoming_session(SwarmState& swarm, const SwarmIo& io, std::unique_ptr<PeerStream> stream,
                            const wire::Handshake& theirs, std::shared_ptr<PeerLink> link, const PeerConfig& config) {
  std::string who = stream->remote();
  return run_connection(swarm, io, who, PeerAddress{}, std::move(link), config, std::move(stream), theirs, true);
}

}  // namespace fluxo
