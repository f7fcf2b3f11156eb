#include "pipeline/metadata_peer.h"

#include <array>
#include <vector>

#include "core/extension_handshake.h"
#include "core/metadata_message.h"
#include "pipeline/extension_protocol.h"

namespace fluxo {
namespace {

using Clock = std::chrono::steady_clock;

// A bitfield of a torrent we do not know yet may be of any length up to
// this many pieces (1 MiB): larger and the peer is dropped.
constexpr std::uint32_t kMaxPiecesBeforeMetadata = 8u << 20;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

class MetadataConnection {
 public:
  MetadataConnection(PeerStream& stream, const MetadataPeerConfig& cfg, MetadataAssembler& a,
                     MetadataAssembler::PeerId me, StopFlags stop, bool handshake_sent)
      : s_(stream), cfg_(cfg), a_(a), me_(me), stop_(stop), sent_(handshake_sent),
        reader_(kMaxPiecesBeforeMetadata, cfg.poll) {}

  Status run() {
    if (Status st = handshake(); !st) return st;
    const auto offer_deadline = Clock::now() + cfg_.handshake_timeout;
    while (true) {
      if (stop_.raised()) return a_.complete() ? Status::ok() : stop_.status(s_.remote());
      if (a_.complete()) return Status::ok();
      if (a_.condemned(me_)) return fail("sent metadata that does not match the info-hash");
      const auto now = Clock::now();
      if (!their_id_ && now > offer_deadline) return fail("offered no metadata (no ut_metadata in its extended handshake)");
      for (const auto& [piece, since] : asked_) {
        if (now - since > cfg_.request_timeout) return fail("did not send metadata piece " + std::to_string(piece));
      }
      if (their_id_) {
        while (asked_.size() < MetadataPeerConfig::kInFlight) {
          auto p = a_.next_request(me_);
          if (!p) break;
          asked_.push_back({*p, now});
          const std::string req = encode_metadata_request(*p);
          out_.extended(*their_id_, bytes_of(req));
        }
      }
      // Waiting (another peer's solo turn, another size): keep-alives, so
      // the peer does not take us for gone.
      if (out_.empty() && now - last_send_ > kKeepAlive) out_.keep_alive();
      if (!out_.empty()) {
        if (Status st = out_.flush(s_); !st) return st;
        last_send_ = now;
      }
      auto got = reader_.fill(s_, cfg_.poll);
      if (!got) return got.status();
      if (Status st = drain(); !st) return st;
    }
  }

 private:
  Status fail(const std::string& why) { return Status(ErrorCode::protocol_error, s_.remote() + ": " + why); }

  Status handshake() {
    auto buf = metadata_handshake(cfg_);
    if (!sent_) {
      if (Status st = s_.send_all(buf); !st) return st;
    }
    if (Status st = reader_.read_exact(s_, buf, Clock::now() + cfg_.handshake_timeout, stop_); !st) return st;
    auto theirs = wire::decode_handshake(buf);
    if (!theirs) return fail(theirs.status().message());
    if (theirs->info_hash != cfg_.info_hash) return fail("handshake for another torrent");
    if (theirs->peer_id == cfg_.our_id) return fail("connected to ourselves");
    if (!(theirs->reserved[ExtensionProtocol::kReservedByte] & ExtensionProtocol::kReservedBit)) {
      return fail("does not speak the extension protocol (BEP 10), so it cannot send metadata");
    }
    ExtensionHandshake ext;
    ext.m["ut_metadata"] = MetadataPeerConfig::kUtMetadata;
    ext.client = cfg_.client;
    if (cfg_.listen_port) ext.listen_port = cfg_.listen_port;
    const std::string bytes = encode_extension_handshake(ext);
    if (theirs->supports_fast()) out_.simple(wire::MsgId::have_none);
    out_.extended(0, bytes_of(bytes));
    return out_.flush(s_);
  }

  Status drain() {
    while (true) {
      wire::Frame f = reader_.next();
      switch (f.kind) {
        case wire::Frame::Kind::need_more:
          return Status::ok();
        case wire::Frame::Kind::keep_alive:
          continue;
        case wire::Frame::Kind::error:
          return fail(f.error);
        case wire::Frame::Kind::piece:  // never asked for: read and dropped
          if (Status st = reader_.skip_block(s_, f.block.length, Clock::now() + cfg_.request_timeout, stop_); !st) {
            return st;
          }
          continue;
        case wire::Frame::Kind::message:
          if (f.body.size() >= 2 && f.body[0] == static_cast<std::uint8_t>(wire::MsgId::extended)) {
            if (Status st = on_extended(f.body[1], f.body.subspan(2)); !st) return st;
          }
          continue;  // everything else is for downloading, which comes later
      }
    }
  }

  Status on_extended(std::uint8_t id, std::span<const std::uint8_t> payload) {
    if (id == 0) {
      auto h = parse_extension_handshake(payload);
      if (!h) return fail(h.status().message());
      // BEP 10 allows the handshake again, with only what changed: the
      // first one that offered metadata stands (a new ut_metadata id
      // replaces the old one).
      if (their_id_) {
        if (auto again = h->id_of("ut_metadata")) their_id_ = *again;
        return Status::ok();
      }
      auto their = h->id_of("ut_metadata");
      if (!their) return fail("does not serve metadata (no ut_metadata in its extended handshake)");
      // (The parser leaves out a size beyond kMaxMetadataSize.)
      if (!h->metadata_size) return fail("offered no usable metadata_size (none, or over the 64 MiB limit)");
      if (Status st = a_.offer(me_, *h->metadata_size); !st) return fail(st.message());
      their_id_ = *their;
      return Status::ok();
    }
    if (id != MetadataPeerConfig::kUtMetadata) return Status::ok();  // an id we never gave out
    auto m = parse_metadata_message(payload);
    if (!m) return fail(m.status().message());
    switch (m->type) {
      case MetadataType::request: {
        if (!their_id_) return Status::ok();
        const std::string rej = encode_metadata_reject(m->piece);
        out_.extended(*their_id_, bytes_of(rej));
        return Status::ok();
      }
      case MetadataType::reject:
        if (!forget(m->piece)) return Status::ok();  // a reject for nothing asked: ignored
        a_.rejected(me_, m->piece);
        if (++rejects_ > kMaxRejects) return fail("rejects our metadata requests");
        return Status::ok();
      case MetadataType::data:
        if (!forget(m->piece)) return fail("sent metadata piece " + std::to_string(m->piece) + " it was not asked for");
        if (Status st = a_.deliver(me_, m->piece, m->total_size, m->data); !st) return fail(st.message());
        return Status::ok();
      case MetadataType::other:
        return Status::ok();  // BEP 9: ignored
    }
    return Status::ok();
  }

  bool forget(std::uint32_t piece) {
    for (auto it = asked_.begin(); it != asked_.end(); ++it) {
      if (it->first == piece) {
        asked_.erase(it);
        return true;
      }
    }
    return false;
  }

  static constexpr unsigned kMaxRejects = 8;
  static constexpr std::chrono::seconds kKeepAlive{60};

  PeerStream& s_;
  const MetadataPeerConfig& cfg_;
  MetadataAssembler& a_;
  const MetadataAssembler::PeerId me_;
  StopFlags stop_;
  const bool sent_;  // our handshake went with an encrypted one
  MessageReader reader_;
  MessageWriter out_;
  std::optional<std::uint8_t> their_id_;
  std::vector<std::pair<std::uint32_t, Clock::time_point>> asked_;
  unsigned rejects_ = 0;
  Clock::time_point last_send_ = Clock::now();
};

}  // namespace

std::array<std::uint8_t, wire::kHandshakeSize> metadata_handshake(const MetadataPeerConfig& config) {
  wire::Handshake ours;
  ours.info_hash = config.info_hash;
  ours.peer_id = config.our_id;
  ours.set_fast();
  ours.reserved[ExtensionProtocol::kReservedByte] |= ExtensionProtocol::kReservedBit;
  std::array<std::uint8_t, wire::kHandshakeSize> buf{};
  wire::encode_handshake(ours, buf);
  return buf;
}

Status fetch_metadata_over(PeerStream& stream, const MetadataPeerConfig& config, MetadataAssembler& assembler,
                           MetadataAssembler::PeerId me, StopFlags stop, bool handshake_sent) {
  stream.watch(stop.stop, stop.drop);
  Status st = MetadataConnection(stream, config, assembler, me, stop, handshake_sent).run();
  assembler.gone(me);
  return st;
}

}  // namespace fluxo
