// libFuzzer target: the serving half of a peer session (pipeline/upload_queue.h)
// driven by fuzzed message sequences, and the choker (pipeline/choker.h)
// driven by fuzzed candidate lists and clocks.
//
// Upload mode. A small torrent (up to 32 pieces of up to 40000 bytes, some
// of them with a wrong hash in the metainfo) over one payload file written
// at start-up, an UploadCache on it (fewer than 8 pieces, so prefetch() never
// starts a background load and every run is deterministic), and a
// loopback TCP connection whose far end a thread drains. Operations:
// REQUEST and CANCEL (encoded on the wire and decoded with
// wire::decode_message, as the session does, so their piece is in range),
// the choker's decision, sync_choke(), have bits set and cleared, serve(),
// and a flush of the output buffer. A reference model of the rules in
// upload_queue.h predicts every byte: the status of each call (a violation
// ends the sequence, as the session disconnects), the messages appended to
// the output buffer, and the exact bytes serve() writes to the socket (the
// output buffer, then a PIECE per block with the payload's bytes). The
// output buffer is also decoded with next_frame/decode_message: whole
// messages only, CHOKE/UNCHOKE/REJECT with sane fields (no REJECT without
// the fast extension). The model's queue never exceeds kMaxQueue.
//
// Choker mode. Rounds of candidates (unique ids, flags, rates, connection
// times) at a clock that only moves forward: decide() returns at most
// slots + 1 ids, each an interested candidate, without duplicates; the
// optimistic unchoke is among them and not among the regular ones; no
// interested candidate is left out while a regular slot is free (unless
// snubbed while downloading), nor without an optimistic unchoke.
//
// Input: [0] mode (bit 0: choker), then the mode's parameters and operations.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/metainfo.h"
#include "core/sha1.h"
#include "net/message_reader.h"
#include "net/peer_socket.h"
#include "net/wire.h"
#include "pipeline/choker.h"
#include "pipeline/peer_roster.h"
#include "pipeline/swarm_state.h"
#include "pipeline/upload_cache.h"
#include "pipeline/upload_queue.h"
#include "storage/file_storage.h"

namespace {

using namespace fluxo;
using wire::BlockRef;
using wire::Frame;
using wire::MsgId;
using Bytes = std::vector<std::uint8_t>;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

// The fuzzer's bytes, read from the front; zeros once they run out.
class Input {
 public:
  Input(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  bool empty() const { return n_ == 0; }
  std::uint8_t u8() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
  std::uint32_t u32() { return std::uint32_t{u16()} << 16 | u16(); }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

constexpr std::uint32_t kMaxPieces = 32;
constexpr std::uint32_t kMaxPieceLength = 40000;
constexpr std::uint32_t kMaxRequestsWhileChoked = 2048;  // upload_queue.cc's limits
constexpr std::uint32_t kMaxBadRequests = 64;
constexpr std::uint32_t kMaxStrayCancels = 4096;

// The payload's byte at stream offset `o`: differs between neighbours and
// between pieces, so a block served from the wrong place shows.
std::uint8_t payload_byte(std::uint64_t o) { return static_cast<std::uint8_t>((o * 0x9E3779B97F4A7C15ull) >> 56); }

// Set up once per process: the payload file, a loopback connection and the
// thread that drains its far end.
struct Env {
  std::filesystem::path dir;
  std::string payload;  // kMaxPieces x kMaxPieceLength bytes, also on disk as dir/payload
  std::unordered_map<std::uint32_t, std::string> hashes;  // piece length -> full pieces' hashes
  std::optional<PeerSocket> ours;   // the session's end
  Poco::Net::StreamSocket theirs;   // the peer's end, read by `reader`
  std::thread reader;
  std::mutex mu;
  std::condition_variable arrived;
  Bytes wire;  // guarded by mu: bytes the peer received and nobody checked yet
  std::uint64_t syncs = 0;
};

Env& env() {
  static Env* e = [] {
    ::signal(SIGPIPE, SIG_IGN);
    auto* e = new Env;
    char tmpl[] = "/tmp/fluxo-fuzz-upload-XXXXXX";
    CHECK(::mkdtemp(tmpl) != nullptr);
    e->dir = tmpl;
    e->payload.resize(std::size_t{kMaxPieces} * kMaxPieceLength);
    for (std::size_t i = 0; i < e->payload.size(); ++i) e->payload[i] = static_cast<char>(payload_byte(i));
    std::ofstream(e->dir / "payload", std::ios::binary) << e->payload;
    static const std::filesystem::path dir = e->dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });

    Poco::Net::ServerSocket server(Poco::Net::SocketAddress("127.0.0.1", 0));
    e->theirs.connect(server.address());
    e->ours.emplace(PeerSocket::adopt(server.acceptConnection()));
    e->reader = std::thread([e] {
      std::vector<std::uint8_t> buf(1 << 16);
      while (true) {
        int n = 0;
        try {
          n = e->theirs.receiveBytes(buf.data(), static_cast<int>(buf.size()));
        } catch (...) {
          n = -1;
        }
        if (n <= 0) return;
        std::lock_guard lock(e->mu);
        e->wire.insert(e->wire.end(), buf.begin(), buf.begin() + n);
        e->arrived.notify_all();
      }
    });
    e->reader.detach();
    return e;
  }();
  return *e;
}

const std::string& full_hashes(std::uint32_t piece_length) {
  Env& e = env();
  auto it = e.hashes.find(piece_length);
  if (it != e.hashes.end()) return it->second;
  if (e.hashes.size() > 20000) e.hashes.clear();
  std::string h;
  for (std::uint32_t i = 0; i < kMaxPieces; ++i) {
    auto d = sha1(std::string_view(e.payload).substr(std::size_t{i} * piece_length, piece_length));
    h.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  return e.hashes.emplace(piece_length, std::move(h)).first->second;
}

void put_simple(MsgId id, Bytes& out) {
  std::size_t at = out.size();
  out.resize(at + wire::kSimpleSize);
  wire::encode_simple(id, out.data() + at);
}
void put_block_ref(MsgId id, const BlockRef& r, Bytes& out) {
  std::size_t at = out.size();
  out.resize(at + wire::kBlockRefSize);
  wire::encode_block_ref(id, r, out.data() + at);
}

// What an UploadQueue may append to its output buffer: whole CHOKE, UNCHOKE
// and REJECT messages, the rejects for blocks inside their pieces.
void check_control(const Bytes& out, const Metainfo& m, bool fast) {
  std::span<const std::uint8_t> rest(out);
  const std::uint32_t max_length = wire::max_message_length(m.piece_count());
  while (!rest.empty()) {
    Frame f = wire::next_frame(rest, m.piece_count(), max_length);
    CHECK(f.kind == Frame::Kind::message && f.size <= rest.size());
    auto msg = wire::decode_message(f.body, m.piece_count());
    CHECK(msg);
    if (msg->id == MsgId::reject) {
      CHECK(fast);
      CHECK(msg->length >= 1 && msg->length <= wire::kBlockSize);
      CHECK(std::uint64_t{msg->begin} + msg->length <= static_cast<std::uint64_t>(m.piece_size(msg->piece)));
    } else {
      CHECK(msg->id == MsgId::choke || msg->id == MsgId::unchoke);
    }
    rest = rest.subspan(f.size);
  }
}

// The upload rules of upload_queue.h, restated.
struct Model {
  bool fast = false;
  bool serving = true;  // an upload cache exists
  bool choking = true;
  std::vector<bool> have;
  std::vector<bool> corrupt;
  std::deque<BlockRef> queue;
  std::optional<std::uint32_t> cached;  // the piece serve() holds
  std::uint32_t while_choked = 0, bad = 0, stray = 0;

  void reject(const BlockRef& r, Bytes& out) const {
    if (fast) put_block_ref(MsgId::reject, r, out);
  }
  // False: a violation.
  bool request(const Metainfo& m, const BlockRef& r, Bytes& out) {
    if (r.length == 0 || r.length > wire::kBlockSize) return false;
    if (std::uint64_t{r.begin} + r.length > static_cast<std::uint64_t>(m.piece_size(r.piece))) return false;
    if (choking) {
      if (++while_choked > kMaxRequestsWhileChoked) return false;
      reject(r, out);
      return true;
    }
    if (!serving || !have[r.piece.value()]) {
      if (++bad > kMaxBadRequests) return false;
      reject(r, out);
      return true;
    }
    if (queue.size() >= UploadQueue::kMaxQueue) return false;
    queue.push_back(r);
    return true;
  }
  bool cancel(const BlockRef& r, Bytes& out) {
    auto it = std::find(queue.begin(), queue.end(), r);
    if (it == queue.end()) return ++stray <= kMaxStrayCancels;
    queue.erase(it);
    reject(r, out);
    return true;
  }
  // What serve() does when ready: `out` then up to kBatch blocks go out;
  // rejects for blocks it could not serve go to `rejects`.
  struct Batch {
    Bytes wire;
    bool wrote = false;
    std::uint64_t bytes = 0;
    std::vector<PieceIndex> lost;  // failed their hash on read-back
  };
  Batch serve(const Bytes& out, const std::string& payload, std::uint32_t piece_length, Bytes& rejects) {
    Batch b;
    b.wire = out;
    b.wrote = !out.empty();
    for (std::size_t served = 0; served < UploadQueue::kBatch && !queue.empty();) {
      BlockRef r = queue.front();
      queue.pop_front();
      const std::uint32_t p = r.piece.value();
      if (!have[p]) {
        reject(r, rejects);
        continue;
      }
      if (cached != p) {
        if (corrupt[p]) {
          have[p] = false;
          b.lost.push_back(r.piece);
          reject(r, rejects);
          continue;
        }
        cached = p;
      }
      std::size_t at = b.wire.size();
      b.wire.resize(at + wire::kPieceHeaderSize);
      wire::encode_piece_header(r, b.wire.data() + at);
      auto from = payload.begin() + static_cast<std::ptrdiff_t>(std::uint64_t{p} * piece_length + r.begin);
      b.wire.insert(b.wire.end(), from, from + r.length);
      b.bytes += r.length;
      b.wrote = true;
      ++served;
    }
    return b;
  }
  void sync_choke(bool unchoke, Bytes& out) {
    if (unchoke && choking) {
      put_simple(MsgId::unchoke, out);
      choking = false;
    } else if (!unchoke && !choking) {
      put_simple(MsgId::choke, out);
      choking = true;
      for (const auto& r : queue) reject(r, out);
      queue.clear();
    }
  }
};

// Waits for `expected` then a sync marker on the peer's end of the
// connection, and checks both; the marker shows nothing else was written.
void expect_on_wire(const Bytes& expected, const Metainfo& m) {
  Env& e = env();
  Bytes marker;
  std::uint8_t seq[8];
  wire::write_u32(seq, static_cast<std::uint32_t>(e.syncs >> 32));
  wire::write_u32(seq + 4, static_cast<std::uint32_t>(++e.syncs));
  marker.resize(5);
  wire::write_u32(marker.data(), 1 + 10 + 8);
  marker[4] = static_cast<std::uint8_t>(MsgId::extended);
  marker.insert(marker.end(), {'f', 'l', 'u', 'x', 'o', '-', 's', 'y', 'n', 'c'});
  marker.insert(marker.end(), seq, seq + 8);
  CHECK(e.ours->send_all(std::span<const std::uint8_t>(marker)));

  Bytes got;
  {
    std::unique_lock lock(e.mu);
    const std::size_t want = expected.size() + marker.size();
    CHECK(e.arrived.wait_for(lock, std::chrono::seconds(30), [&] { return e.wire.size() >= want; }));
    got.assign(e.wire.begin(), e.wire.begin() + static_cast<std::ptrdiff_t>(want));
    e.wire.erase(e.wire.begin(), e.wire.begin() + static_cast<std::ptrdiff_t>(want));
  }
  CHECK(std::equal(expected.begin(), expected.end(), got.begin()));
  CHECK(std::equal(marker.begin(), marker.end(), got.begin() + static_cast<std::ptrdiff_t>(expected.size())));

  // The same bytes as a peer decodes them: whole messages, PIECEs included.
  std::span<const std::uint8_t> rest(got);
  const std::uint32_t max_length = wire::max_message_length(m.piece_count());
  while (!rest.empty()) {
    Frame f = wire::next_frame(rest, m.piece_count(), max_length);
    if (f.kind == Frame::Kind::piece) {
      CHECK(f.block.length <= wire::kBlockSize && f.size + f.block.length <= rest.size());
      rest = rest.subspan(f.size + f.block.length);
      continue;
    }
    CHECK(f.kind == Frame::Kind::message);
    auto msg = wire::decode_message(f.body, m.piece_count());
    CHECK(msg);
    CHECK(msg->id == MsgId::choke || msg->id == MsgId::unchoke || msg->id == MsgId::reject ||
          (msg->id == MsgId::extended && f.size == marker.size() && rest.size() == marker.size()));
    rest = rest.subspan(f.size);
  }
}

// A REQUEST or CANCEL's block from the input: mostly near the interesting
// values (block boundaries, the piece's end), sometimes any 32-bit value.
BlockRef read_ref(Input& in, const Metainfo& m) {
  std::uint8_t sel = in.u8();
  std::uint8_t p8 = in.u8();
  std::uint32_t piece = p8 == 255 ? in.u32() : p8;
  const auto size = static_cast<std::uint32_t>(
      piece < m.piece_count() ? m.piece_size(PieceIndex(piece)) : m.piece_length);
  std::uint32_t begin = 0, length = 0;
  switch (sel & 3) {
    case 0: begin = in.u16(); break;
    case 1: begin = in.u32(); break;
    case 2: begin = std::uint32_t{in.u8()} * wire::kBlockSize; break;
    default: begin = size - in.u8(); break;
  }
  switch ((sel >> 2) & 3) {
    case 0: length = wire::kBlockSize; break;
    case 1: length = in.u16(); break;
    case 2: length = in.u32(); break;
    default: length = size - begin + (sel >> 4) - 8; break;
  }
  return BlockRef{PieceIndex(piece), begin, length};
}

void run_uploads(Input& in) {
  Env& e = env();
  const std::uint8_t flags = in.u8();
  const std::uint32_t pieces = 1 + in.u8() % kMaxPieces;
  const std::uint32_t piece_length = 1 + in.u16() % kMaxPieceLength;
  const std::uint32_t last = 1 + in.u16() % piece_length;
  const std::uint32_t corrupt = in.u32();
  const std::size_t cache_pieces = 2 + in.u8() % 6;  // below 8: no background prefetch

  Metainfo m;
  m.name = "payload";
  m.piece_length = piece_length;
  m.total_size = std::int64_t{pieces - 1} * piece_length + last;
  m.files.push_back(FileEntry{"payload", m.total_size, 0});
  m.piece_hashes = full_hashes(piece_length).substr(0, std::size_t{pieces - 1} * kSha1Size);
  auto tail = sha1(std::string_view(e.payload).substr(std::size_t{pieces - 1} * piece_length, last));
  m.piece_hashes.append(reinterpret_cast<const char*>(tail.data()), tail.size());
  Model model;
  model.fast = (flags & 1) != 0;
  model.serving = (flags & 2) == 0;
  model.have.assign(pieces, false);
  model.corrupt.assign(pieces, false);
  for (std::uint32_t i = 0; i < pieces; ++i) {
    if ((corrupt >> i) & 1) {
      m.piece_hashes[std::size_t{i} * kSha1Size] = static_cast<char>(m.piece_hashes[std::size_t{i} * kSha1Size] ^ 1);
      model.corrupt[i] = true;
    }
  }
  CHECK(m.piece_count() == pieces);

  auto storage = FileStorage::open(m, e.dir, StorageOptions{.read_only = true});
  CHECK(storage);
  UploadCache cache(m, **storage, cache_pieces * piece_length);
  MemoryBudget memory(static_cast<std::size_t>(piece_length));  // one piece buffer: uploads take none
  SwarmState s(m, memory, ConnectionLimits{}, 1);
  std::vector<PieceIndex> lost;
  s.on_piece_lost = [&](PieceIndex p, const Status& why) {
    CHECK(why.code() == ErrorCode::corrupt_data);
    if (s.have.clear(p)) cache.forget(p);
    lost.push_back(p);
  };
  PeerLink link(1, "127.0.0.1", true);
  UploadQueue q(s, model.serving ? &cache : nullptr, nullptr, "fuzz", link, model.fast);
  const std::uint32_t max_length = wire::max_message_length(pieces);

  Bytes out, expected;
  std::uint64_t uploaded = 0;
  while (!in.empty()) {
    CHECK(model.queue.size() <= UploadQueue::kMaxQueue);
    CHECK(q.choking() == model.choking);
    CHECK(q.ready() == (!model.queue.empty() && !model.choking));
    const std::uint8_t op = in.u8();
    const std::size_t before = out.size();
    expected.clear();
    switch (op & 7) {
      case 0:    // REQUEST
      case 1: {  // CANCEL
        const bool cancel = (op & 7) == 1;
        BlockRef r;
        if (cancel && (op & 0x80) && !model.queue.empty()) {
          r = model.queue[in.u8() % model.queue.size()];
        } else {
          r = read_ref(in, m);
        }
        // On the wire and back, as the session gets it.
        std::uint8_t msg[wire::kBlockRefSize];
        wire::encode_block_ref(cancel ? MsgId::cancel : MsgId::request, r, msg);
        Frame f = wire::next_frame(std::span<const std::uint8_t>(msg), pieces, max_length);
        CHECK(f.kind == Frame::Kind::message);
        auto d = wire::decode_message(f.body, pieces);
        if (!d) return;  // piece out of range or a bad length: the session ends
        r = BlockRef{d->piece, d->begin, d->length};
        Status st = cancel ? q.on_cancel(r, out) : q.on_request(r, out);
        bool ok = cancel ? model.cancel(r, expected) : model.request(m, r, expected);
        CHECK(st.is_ok() == ok);
        if (!ok) {
          CHECK(st.code() == ErrorCode::protocol_error);
          return;  // a violation: the session ends
        }
        break;
      }
      case 2:  // the choker's decision
        link.unchoke.store((op & 0x10) != 0);
        break;
      case 3:
        q.sync_choke(out);
        model.sync_choke(link.unchoke.load(), expected);
        break;
      case 4:
      case 5: {
        PieceIndex p(in.u8() % pieces);
        if ((op & 7) == 4) {
          s.have.set(p);
        } else {
          s.have.clear(p);
        }
        model.have[p.value()] = (op & 7) == 4;
        break;
      }
      case 6: {  // serve
        check_control(out, m, model.fast);
        const bool ready = q.ready();
        Model::Batch batch;
        if (ready) batch = model.serve(out, e.payload, piece_length, expected);
        lost.clear();
        auto sent = q.serve(*e.ours, out);
        CHECK(sent);
        CHECK(*sent == batch.wrote);
        CHECK(lost == batch.lost);
        uploaded += batch.bytes;
        CHECK(link.uploaded.load() == uploaded && s.counters.uploaded.load() == uploaded);
        expect_on_wire(batch.wire, m);
        // When it ran, the buffer went out and holds only the rejects for
        // what could not be served; otherwise it is untouched.
        CHECK(ready ? out == expected : out.size() == before);
        break;
      }
      case 7:  // the session flushes what was queued for sending
        check_control(out, m, model.fast);
        out.clear();
        break;
    }
    if ((op & 7) != 6 && (op & 7) != 7) {  // what the call appended, exactly
      CHECK(out.size() == before + expected.size());
      CHECK(std::equal(expected.begin(), expected.end(), out.begin() + static_cast<std::ptrdiff_t>(before)));
    }
    for (std::uint32_t i = 0; i < pieces; ++i) CHECK(s.have.test(PieceIndex(i)) == model.have[i]);
  }
  check_control(out, m, model.fast);
}

void run_choker(Input& in) {
  using Clock = Choker::Clock;
  ChokerConfig cfg;
  cfg.slots = in.u8() % 9;
  cfg.rechoke = std::chrono::seconds(in.u8() % 31);
  cfg.optimistic = std::chrono::seconds(in.u8() % 61);
  cfg.newcomer = std::chrono::seconds(in.u8() % 121);
  Choker choker(cfg, in.u32());
  Clock::time_point now{std::chrono::hours(1000)};
  std::set<std::uint32_t> unchoked;
  while (!in.empty()) {
    now += std::chrono::milliseconds(in.u16()) * 4;
    const std::uint8_t flags = in.u8();
    const bool seeding = (flags & 1) != 0;
    std::vector<ChokeCandidate> cands;
    for (unsigned n = in.u8() % 17; n > 0; --n) {
      ChokeCandidate c;
      c.id = in.u8();
      const std::uint8_t f = in.u8();
      c.interested = (f & 1) != 0;
      c.snubbed = (f & 2) != 0;
      c.unchoked = unchoked.count(c.id) != 0;
      c.download_rate = (f & 4) ? in.u16() : 0;
      c.upload_rate = (f & 8) ? in.u16() * 16.0 : 0;
      c.connected_at = now - std::chrono::seconds(in.u8());
      if (std::none_of(cands.begin(), cands.end(), [&](const ChokeCandidate& o) { return o.id == c.id; })) {
        cands.push_back(c);
      }
    }
    auto out = choker.decide(cands, seeding, now);
    CHECK(out.size() <= cfg.slots + 1);
    std::set<std::uint32_t> ids(out.begin(), out.end());
    CHECK(ids.size() == out.size());
    auto find = [&](std::uint32_t id) -> const ChokeCandidate* {
      for (const auto& c : cands) {
        if (c.id == id) return &c;
      }
      return nullptr;
    };
    for (std::uint32_t id : out) {
      const auto* c = find(id);
      CHECK(c != nullptr && c->interested);
    }
    const std::uint32_t opt = choker.optimistic();
    std::size_t regular = out.size();
    if (opt != UINT32_MAX) {
      CHECK(!out.empty() && out.back() == opt);
      --regular;
    }
    CHECK(regular <= cfg.slots);
    for (const auto& c : cands) {
      if (!c.interested || ids.count(c.id)) continue;
      // Left out: the regular slots are full (or it may not have one), and
      // someone holds the optimistic slot.
      CHECK(regular == cfg.slots || (c.snubbed && !seeding));
      CHECK(opt != UINT32_MAX);
    }
    unchoked = ids;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Input in(data + 1, size - 1);
  if (data[0] & 1) {
    run_choker(in);
  } else {
    run_uploads(in);
  }
  return 0;
}
