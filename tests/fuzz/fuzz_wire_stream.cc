// libFuzzer target: the peer wire decoder fed as a byte stream, walked the
// way pipeline/peer_session.cc's process_input() walks it: next_frame(); a
// keep-alive is skipped; a PIECE header is consumed and its block's bytes
// follow in the stream; any other message is decoded (a bitfield also goes
// through Bitfield::from_wire); an error or a bad message ends the walk.
//
// The stream is walked twice: once whole, and once as it would arrive from a
// socket, in chunks of random sizes, through an input buffer that is
// compacted and grown, with block tails read past the buffer (and the next
// header spilled into it, as read_block_tail() does). Both walks must see the
// same frames, the same bytes and the same end.
//
// Input: 10 bytes of parameters, then the stream.
//   [0]     flags: bit 0 a 68-byte handshake comes first; bit 1 the chunked
//           walk uses a session-sized buffer (else a small one that grows)
//   [1..4]  piece count: 1 + (u32 % 100000)
//   [5..8]  seed for the chunk sizes and the block-tail paths
//   [9]     initial size of the small buffer: 16 + 4 x byte
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "core/bitfield.h"
#include "net/message_reader.h"
#include "net/wire.h"

namespace {

using namespace fluxo;
using wire::BlockRef;
using wire::Frame;
using wire::MsgId;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

using Bytes = std::span<const std::uint8_t>;

// FNV-1a, fed in pieces: a block's bytes arrive in up to two parts.
struct Digest {
  std::uint64_t h = 1469598103934665603ull;
  void add(Bytes b) {
    for (std::uint8_t c : b) h = (h ^ c) * 1099511628211ull;
  }
};

struct Event {
  Frame::Kind kind = Frame::Kind::need_more;
  std::size_t size = 0;
  std::uint8_t id = 0;
  std::uint32_t piece = 0, begin = 0, length = 0;
  std::uint64_t digest = 0;  // of the message body, or the block's bytes
  bool operator==(const Event&) const = default;
};

enum class End { input, frame_error, bad_message, bad_bitfield, bad_handshake };

struct Walk {
  std::vector<Event> events;
  End end = End::input;
};

// Invariants of one next_frame() result over `in`.
void check_frame(const Frame& f, Bytes in, std::uint32_t piece_count, std::uint32_t max_length) {
  switch (f.kind) {
    case Frame::Kind::need_more:
      CHECK(f.size == 0);
      if (in.size() >= 4) {
        const std::uint32_t len = wire::read_u32(in.data());
        CHECK(len != 0 && len <= max_length);
        CHECK(in.size() < 4 + std::size_t{len});  // a whole frame is never left waiting
        CHECK(!(in.size() >= wire::kPieceHeaderSize && in[4] == static_cast<std::uint8_t>(MsgId::piece)));
      }
      return;
    case Frame::Kind::error:
      CHECK(f.size == 0 && !f.error.empty());
      return;
    case Frame::Kind::keep_alive:
      CHECK(f.size == 4 && in.size() >= 4 && wire::read_u32(in.data()) == 0);
      return;
    case Frame::Kind::piece:
      CHECK(f.size == wire::kPieceHeaderSize && in.size() >= f.size);
      CHECK(in[4] == static_cast<std::uint8_t>(MsgId::piece));
      CHECK(f.block.piece.value() < piece_count);
      CHECK(f.block.length >= 1 && f.block.length <= wire::kMaxBlockLength);
      CHECK(wire::read_u32(in.data()) == f.block.length + 9);
      CHECK(f.block.begin == wire::read_u32(in.data() + 9));
      return;
    case Frame::Kind::message:
      CHECK(f.size <= in.size() && f.size == 4 + f.body.size());
      CHECK(!f.body.empty() && f.body.size() <= max_length);
      CHECK(f.body.data() == in.data() + 4);
      CHECK(wire::read_u32(in.data()) == f.body.size());
      CHECK(f.body[0] != static_cast<std::uint8_t>(MsgId::piece));  // PIECE takes the fast path
      return;
  }
  CHECK(false);
}

// Decodes a whole message as the session does; false ends the walk.
bool on_message(Bytes frame, Bytes body, std::uint32_t piece_count, Event& ev, End& end) {
  auto m = wire::decode_message(body, piece_count);
  if (!m) {
    end = End::bad_message;
    return false;
  }
  CHECK(static_cast<std::uint8_t>(m->id) == body[0]);
  ev.id = body[0];
  std::array<std::uint8_t, wire::kBlockRefSize> again{};
  switch (m->id) {
    case MsgId::choke:
    case MsgId::unchoke:
    case MsgId::interested:
    case MsgId::not_interested:
    case MsgId::have_all:
    case MsgId::have_none:
      CHECK(body.size() == 1);
      CHECK(wire::encode_simple(m->id, again.data()) == frame.size());
      CHECK(std::memcmp(again.data(), frame.data(), frame.size()) == 0);
      break;
    case MsgId::have:
    case MsgId::suggest:
    case MsgId::allowed_fast:
      CHECK(body.size() == 5 && m->piece.value() < piece_count);
      CHECK(wire::encode_index(m->id, m->piece, again.data()) == frame.size());
      CHECK(std::memcmp(again.data(), frame.data(), frame.size()) == 0);
      ev.piece = m->piece.value();
      break;
    case MsgId::request:
    case MsgId::cancel:
    case MsgId::reject:
      CHECK(body.size() == 13 && m->piece.value() < piece_count);
      CHECK(m->length >= 1 && m->length <= wire::kMaxBlockLength);
      CHECK(wire::encode_block_ref(m->id, BlockRef{m->piece, m->begin, m->length}, again.data()) == frame.size());
      CHECK(std::memcmp(again.data(), frame.data(), frame.size()) == 0);
      ev.piece = m->piece.value();
      ev.begin = m->begin;
      ev.length = m->length;
      break;
    case MsgId::bitfield: {
      CHECK(m->payload.size() == (piece_count + 7) / 8 && m->payload.data() == body.data() + 1);
      Bitfield bf;
      if (!Bitfield::from_wire(m->payload, piece_count, bf)) {
        end = End::bad_bitfield;
        return false;
      }
      CHECK(bf.size() == piece_count && bf.count() <= piece_count);
      std::uint32_t set = 0;
      for (std::uint32_t i = 0; i < piece_count; ++i) set += bf.test(PieceIndex(i)) ? 1 : 0;
      CHECK(set == bf.count());  // so no spare bit is set
      CHECK(bf.all() == (set == piece_count) && bf.none() == (set == 0));
      CHECK(bf.bytes().size() == m->payload.size() &&
            std::memcmp(bf.bytes().data(), m->payload.data(), m->payload.size()) == 0);
      ev.length = set;
      break;
    }
    case MsgId::port:
      CHECK(body.size() == 3);
      break;
    case MsgId::piece:
      CHECK(false);  // next_frame never hands a PIECE over whole
      break;
    default:
      CHECK(m->payload.size() == body.size() - 1 && m->payload.data() == body.data() + 1);
      break;
  }
  return true;
}

bool on_handshake(Bytes hs, Walk& w) {
  auto h = wire::decode_handshake(std::span<const std::uint8_t, wire::kHandshakeSize>(hs.data(), hs.size()));
  if (!h) {
    w.end = End::bad_handshake;
    return false;
  }
  std::array<std::uint8_t, wire::kHandshakeSize> again{};
  wire::encode_handshake(*h, again);
  CHECK(std::memcmp(again.data(), hs.data(), hs.size()) == 0);
  Event ev;
  Digest d;
  d.add(hs);
  ev.digest = d.h;
  ev.size = hs.size();
  w.events.push_back(ev);
  return true;
}

struct Params {
  bool handshake = false;
  bool session_buffer = false;
  std::uint32_t piece_count = 1;
  std::uint32_t seed = 0;
  std::size_t small_buffer = 16;
};

// The whole stream at once.
Walk walk_whole(Bytes stream, const Params& p, std::uint32_t max_length) {
  Walk w;
  std::size_t pos = 0;
  if (p.handshake) {
    if (stream.size() < wire::kHandshakeSize) return w;
    if (!on_handshake(stream.first(wire::kHandshakeSize), w)) return w;
    pos = wire::kHandshakeSize;
  }
  while (true) {
    Bytes in = stream.subspan(pos);
    Frame f = wire::next_frame(in, p.piece_count, max_length);
    check_frame(f, in, p.piece_count, max_length);
    Event ev{f.kind, f.size};
    switch (f.kind) {
      case Frame::Kind::need_more:
        w.end = End::input;
        return w;
      case Frame::Kind::error:
        w.end = End::frame_error;
        return w;
      case Frame::Kind::keep_alive:
        pos += f.size;
        break;
      case Frame::Kind::piece: {
        pos += f.size;
        if (stream.size() - pos < f.block.length) {  // the block goes on past the input
          w.end = End::input;
          return w;
        }
        Digest d;
        d.add(stream.subspan(pos, f.block.length));
        pos += f.block.length;
        ev.piece = f.block.piece.value();
        ev.begin = f.block.begin;
        ev.length = f.block.length;
        ev.digest = d.h;
        break;
      }
      case Frame::Kind::message: {
        if (!on_message(in.first(f.size), f.body, p.piece_count, ev, w.end)) return w;
        Digest d;
        d.add(f.body);
        ev.digest = d.h;
        pos += f.size;
        break;
      }
    }
    w.events.push_back(ev);
  }
}

// The stream as a socket delivers it: a chunk of random size arrives when
// everything before it has been read; a read returns what has arrived, up
// to the room given (a scattered read fills `buf` before `spill`).
class FakeSocket {
 public:
  FakeSocket(Bytes stream, std::minstd_rand& rng) : stream_(stream), rng_(rng) {}
  std::size_t receive(std::span<std::uint8_t> buf, std::span<std::uint8_t> spill = {}) {
    if (arrived_ == pos_) {
      if (arrived_ == stream_.size()) return 0;
      arrived_ = std::min(stream_.size(), arrived_ + chunk());
    }
    std::size_t n = std::min(arrived_ - pos_, buf.size() + spill.size());
    std::size_t a = std::min(n, buf.size());
    if (a > 0) std::memcpy(buf.data(), stream_.data() + pos_, a);
    if (n > a) std::memcpy(spill.data(), stream_.data() + pos_ + a, n - a);
    pos_ += n;
    return n;
  }
  // Exactly buf.size() bytes; false when the stream ends first.
  bool read_exact(std::span<std::uint8_t> buf) {
    for (std::size_t got = 0; got < buf.size();) {
      std::size_t n = receive(buf.subspan(got));
      if (n == 0) return false;
      got += n;
    }
    return true;
  }

 private:
  std::size_t chunk() {
    std::uint32_t r = static_cast<std::uint32_t>(rng_());
    switch (r % 4) {
      case 0: return 1 + (r / 4) % 8;
      case 1: return 1 + (r / 4) % 100;
      case 2: return 1 + (r / 4) % 2000;
      default: return 1 + (r / 4) % 70000;
    }
  }
  Bytes stream_;
  std::minstd_rand& rng_;
  std::size_t pos_ = 0;
  std::size_t arrived_ = 0;
};

// The stream through an input buffer, as Session::loop/process_input/
// receive_block/read_block_tail handle it.
Walk walk_chunked(Bytes stream, const Params& p, std::uint32_t max_length) {
  Walk w;
  std::minstd_rand rng(p.seed);
  FakeSocket sock(stream, rng);
  if (p.handshake) {
    std::array<std::uint8_t, wire::kHandshakeSize> hs{};
    if (!sock.read_exact(hs)) return w;
    if (!on_handshake(hs, w)) return w;
  }
  // The session's buffer always holds a whole message; the small one grows
  // when a frame does not fit (and only then).
  std::vector<std::uint8_t> in(p.session_buffer ? std::max<std::size_t>(256 * 1024, max_length + 64)
                                                : p.small_buffer);
  std::size_t begin = 0, end = 0;
  std::vector<std::uint8_t> tail;
  while (true) {
    if (end == in.size() && begin > 0) {
      std::memmove(in.data(), in.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (end == in.size()) {
      CHECK(in.size() < 4 + std::size_t{max_length});  // a session-sized buffer never gets here
      CHECK(!p.session_buffer);
      in.resize(in.size() * 2);
    }
    std::size_t n = sock.receive(std::span(in).subspan(end));
    if (n == 0) {
      w.end = End::input;
      return w;
    }
    end += n;
    while (true) {
      Bytes avail = Bytes(in).subspan(begin, end - begin);
      Frame f = wire::next_frame(avail, p.piece_count, max_length);
      check_frame(f, avail, p.piece_count, max_length);
      if (f.kind == Frame::Kind::need_more) break;
      if (f.kind == Frame::Kind::error) {
        w.end = End::frame_error;
        return w;
      }
      Event ev{f.kind, f.size};
      if (f.kind == Frame::Kind::message) {
        if (!on_message(avail.first(f.size), f.body, p.piece_count, ev, w.end)) return w;
        Digest d;
        d.add(f.body);
        ev.digest = d.h;
      }
      begin += f.size;
      if (f.kind == Frame::Kind::piece) {
        const std::uint32_t length = f.block.length;
        std::size_t buffered = std::min<std::size_t>(end - begin, length);
        Digest d;
        d.add(Bytes(in).subspan(begin, buffered));
        begin += buffered;
        if (buffered < length) {
          tail.assign(length - buffered, 0);
          if (rng() & 1) {
            // read_block_tail: into the piece buffer, and whatever follows
            // (up to one PIECE header) into the emptied input buffer.
            CHECK(begin == end);
            begin = end = 0;
            std::size_t got = 0;
            while (got < tail.size()) {
              std::size_t r = sock.receive(std::span(tail).subspan(got), std::span(in).first(wire::kPieceHeaderSize));
              if (r == 0) {
                w.end = End::input;
                return w;
              }
              std::size_t into_tail = std::min(r, tail.size() - got);
              got += into_tail;
              end += r - into_tail;
            }
          } else if (!sock.read_exact(tail)) {  // a block nobody asked for: read and dropped
            w.end = End::input;
            return w;
          }
          d.add(tail);
        }
        ev.piece = f.block.piece.value();
        ev.begin = f.block.begin;
        ev.length = length;
        ev.digest = d.h;
      }
      w.events.push_back(ev);
    }
    if (begin == end) begin = end = 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kParams = 10;
  if (size < kParams) return 0;
  Params p;
  p.handshake = (data[0] & 1) != 0;
  p.session_buffer = (data[0] & 2) != 0;
  p.piece_count = 1 + wire::read_u32(data + 1) % 100000;
  p.seed = wire::read_u32(data + 5);
  p.small_buffer = 16 + 4 * std::size_t{data[9]};
  const std::uint32_t max_length = wire::max_message_length(p.piece_count);
  CHECK(max_length >= 9 + wire::kMaxBlockLength && max_length >= 1 + (p.piece_count + 7) / 8);

  Bytes stream(data + kParams, size - kParams);
  Walk whole = walk_whole(stream, p, max_length);
  Walk chunked = walk_chunked(stream, p, max_length);
  CHECK(whole.end == chunked.end);
  CHECK(whole.events == chunked.events);
  return 0;
}
