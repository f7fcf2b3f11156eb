// One peer connection end to end without a socket or a disk: fluxo's side
// runs over one end of a MemoryStream into the shared pipeline and an
// in-memory storage; the test plays the remote peer on the other end, byte
// by byte, as an honest seeder or as an attacker.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "net/memory_stream.h"
#include "pipeline/committer.h"
#include "pipeline/peer_session.h"
#include "pipeline/piece_pipeline.h"
#include "storage/memory_storage.h"
#include "tests/support/tiny_torrent.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using wire::MsgId;

// The remote end, driven by the test.
class Remote {
 public:
  explicit Remote(std::unique_ptr<MemoryStream> s) : s_(std::move(s)) {}
  std::string read(std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      auto r = s_->receive_some(std::span(reinterpret_cast<std::uint8_t*>(out.data()) + got, n - got), 5000ms);
      if (!r || *r == 0) return out.substr(0, got);
      got += *r;
    }
    return out;
  }
  // The next message: id and payload (keep-alives skipped); id 255 when the
  // connection ended.
  std::pair<int, std::string> message() {
    while (true) {
      std::string len = read(4);
      if (len.size() < 4) return {255, {}};
      std::uint32_t n = wire::read_u32(reinterpret_cast<const std::uint8_t*>(len.data()));
      if (n == 0) continue;
      std::string body = read(n);
      if (body.size() < n) return {255, {}};
      return {static_cast<std::uint8_t>(body[0]), body.substr(1)};
    }
  }
  void send(const std::string& bytes) {
    (void)s_->send_all(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
  void send_message(MsgId id, const std::string& payload = {}) {
    std::string m(4, '\0');
    wire::write_u32(reinterpret_cast<std::uint8_t*>(m.data()), static_cast<std::uint32_t>(1 + payload.size()));
    m.push_back(static_cast<char>(id));
    send(m + payload);
  }
  static std::string u32(std::uint32_t v) {
    std::string s(4, '\0');
    wire::write_u32(reinterpret_cast<std::uint8_t*>(s.data()), v);
    return s;
  }
  void handshake(const InfoHash& hash, std::uint8_t reserved5 = 0) {
    wire::Handshake h;
    h.info_hash = hash;
    h.set_fast();
    h.reserved[5] |= reserved5;
    std::memcpy(h.peer_id.data(), "-RM0001-remotepeer01", 20);
    std::array<std::uint8_t, wire::kHandshakeSize> b{};
    wire::encode_handshake(h, b);
    send(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
  }
  MemoryStream& stream() { return *s_; }

 private:
  std::unique_ptr<MemoryStream> s_;
};

class PeerConnectionTest : public ::testing::Test {
 protected:
  PeerConnectionTest() {
    swarm.our_id = {};
    std::memcpy(swarm.our_id.data(), "-FX0100-localpeer001", 20);
  }
  ~PeerConnectionTest() override {
    (void)finish();  // the remote end is gone by now: the connection has ended
    pipeline.wait(target);
  }

  // Runs fluxo's side on a thread; returns the remote end.
  Remote start(PeerConfig config = {}) {
    auto [ours, theirs] = MemoryStream::pair("fluxo:1", "10.1.2.3:6881");
    auto link = std::make_shared<PeerLink>(1, "10.1.2.3", false);
    EXPECT_TRUE(swarm.roster.admit(link, PeerLink::Clock::now()));
    runner = std::thread([this, raw = ours.release(), link, config] {
      std::unique_ptr<PeerStream> own(raw);  // the connection's from here
      result = run_outgoing_session(swarm, io, std::move(own), PeerAddress{"10.1.2.3", 6881}, link, config);
    });
    return Remote(std::move(theirs));
  }
  Status finish() {
    if (runner.joinable()) runner.join();
    return result;
  }

  test::TinyTorrent t{6, 2 * 16384, 1000};
  MemoryBudget memory{16u << 20};
  SwarmState swarm{t.meta, memory, ConnectionLimits{}};
  MemoryStorage storage{t.meta.total_size};
  std::vector<std::string> bans;
  Committer committer{swarm, [this](const std::string& ip, const std::string&) { bans.push_back(ip); }};
  PiecePipeline pipeline{1};
  PieceTarget target{t.meta, storage, committer};
  SwarmIo io{pipeline, target};  // serves nothing, no upload limit
  std::thread runner;
  Status result;
};

TEST_F(PeerConnectionTest, DownloadsEveryPieceFromAnHonestSeederIntoStorage) {
  Remote r = start();
  std::string hs = r.read(wire::kHandshakeSize);
  ASSERT_EQ(hs.size(), wire::kHandshakeSize);
  EXPECT_EQ(hs.substr(28, 20), std::string(t.meta.info_hash.view()));
  r.handshake(t.meta.info_hash);
  r.send_message(MsgId::have_all);
  r.send_message(MsgId::unchoke);
  std::size_t served = 0;
  while (true) {
    auto [id, payload] = r.message();
    if (id == 255) break;  // fluxo hung up: it has everything
    if (id != static_cast<int>(MsgId::request)) continue;
    auto* p = reinterpret_cast<const std::uint8_t*>(payload.data());
    std::uint32_t piece = wire::read_u32(p), begin = wire::read_u32(p + 4), len = wire::read_u32(p + 8);
    std::size_t at = static_cast<std::size_t>(piece) * 2 * 16384 + begin;
    ASSERT_LE(at + len, t.data.size());
    r.send_message(MsgId::piece, Remote::u32(piece) + Remote::u32(begin) +
                                     std::string(reinterpret_cast<const char*>(t.data.data() + at), len));
    served += len;
  }
  EXPECT_TRUE(finish().is_ok()) << result.message();
  pipeline.wait(target);
  EXPECT_TRUE(swarm.have.all());
  EXPECT_EQ(storage.bytes(), t.data);
  EXPECT_EQ(served, t.data.size());  // nothing asked twice
  EXPECT_EQ(swarm.counters.peers_used.load(), 1u);
}

TEST_F(PeerConnectionTest, BlocksNobodyAskedForEndTheConnection) {
  Remote r = start();
  (void)r.read(wire::kHandshakeSize);
  r.handshake(t.meta.info_hash);
  r.send_message(MsgId::have_all);
  // Unchoke never comes: nothing is requested. Blocks arrive anyway.
  const std::string block(16384, 'x');
  for (int i = 0; i < 80; ++i) r.send_message(MsgId::piece, Remote::u32(0) + Remote::u32(0) + block);
  Status st = finish();
  EXPECT_EQ(st.code(), ErrorCode::protocol_error);
  EXPECT_NE(st.message().find("never requested"), std::string::npos) << st.message();
  EXPECT_EQ(swarm.have.count(), 0u);
  EXPECT_EQ(memory.in_use(), 0u);  // no buffer taken for them
}

TEST_F(PeerConnectionTest, AHandshakeForAnotherTorrentIsRefused) {
  Remote r = start();
  (void)r.read(wire::kHandshakeSize);
  InfoHash other{};
  other.bytes[0] = 1;
  r.handshake(other);
  Status st = finish();
  EXPECT_EQ(st.code(), ErrorCode::protocol_error);
  EXPECT_NE(st.message().find("another torrent"), std::string::npos);
}

// An extension that sets a reserved bit, sends an extended handshake and
// records what it receives.
struct RecordingExtension : PeerExtensions {
  explicit RecordingExtension(std::vector<std::string>* log) : log_(log) {}
  void reserve(wire::Handshake& ours) const override { ours.reserved[5] |= 0x10; }
  Status on_handshake(const wire::Handshake& theirs, MessageWriter& out) override {
    log_->push_back(std::string("their bit ") + ((theirs.reserved[5] & 0x10) ? "set" : "clear"));
    const std::string hello = "d1:md6:ut_fooi3eee";
    out.extended(0, std::span(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()));
    return Status::ok();
  }
  Status on_extended(std::uint8_t id, std::span<const std::uint8_t> payload, MessageWriter&) override {
    log_->push_back(std::to_string(id) + ":" + std::string(payload.begin(), payload.end()));
    if (id == 9) return Status(ErrorCode::protocol_error, "bad extension message");
    return Status::ok();
  }
  void tick(MessageWriter&) override {}
  std::vector<std::string>* log_;
};

TEST_F(PeerConnectionTest, ExtendedMessagesGoToTheTorrentsExtensions) {
  std::vector<std::string> log;
  PeerConfig config;
  config.extensions = [&log](const PeerAddress&, bool) { return std::make_unique<RecordingExtension>(&log); };
  Remote r = start(config);
  std::string hs = r.read(wire::kHandshakeSize);
  ASSERT_EQ(hs.size(), wire::kHandshakeSize);
  EXPECT_EQ(static_cast<std::uint8_t>(hs[20 + 5]) & 0x10, 0x10);  // our reserved bit
  r.handshake(t.meta.info_hash, 0x10);
  // Our extended handshake follows the have-none.
  auto [id1, p1] = r.message();
  EXPECT_EQ(id1, static_cast<int>(MsgId::have_none));
  auto [id2, p2] = r.message();
  ASSERT_EQ(id2, static_cast<int>(MsgId::extended));
  EXPECT_EQ(p2, std::string("\0d1:md6:ut_fooi3eee", 19));
  r.send_message(MsgId::extended, std::string("\x03hello", 6));
  r.send_message(MsgId::extended, std::string("\x09", 1));  // the extension refuses it
  Status st = finish();
  EXPECT_EQ(st.code(), ErrorCode::protocol_error);
  EXPECT_EQ(log, (std::vector<std::string>{"their bit set", "3:hello", "9:"}));
}

}  // namespace
}  // namespace fluxo
