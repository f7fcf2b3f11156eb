// Encrypted connections over live streams: our initiator and responder over
// an in-memory pair (every method and policy; what the initiator's handshake
// carried arrives first; bulk bytes both ways, the scatter read of the PIECE
// fast path included), the hostile cases a responder meets (a peer that
// stops mid-handshake, one for a torrent we do not have), and dial_peer over
// loopback sockets against a peer without MSE (the plain retry at once) and
// one that requires it.
#include "net/mse_stream.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>

#include "net/listener.h"
#include "net/memory_stream.h"
#include "net/peer_socket.h"
#include "net/wire.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const bool kNoSigpipe = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

InfoHash hash_of(std::uint8_t fill) {
  InfoHash h;
  h.bytes.fill(fill);
  return h;
}

HandshakeLimits within(std::chrono::milliseconds d) {
  return HandshakeLimits{.deadline = Clock::now() + d, .stop = {}, .poll = 20ms};
}

std::vector<std::uint8_t> pattern(std::size_t n, unsigned seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i * 131 + seed * 7) ^ (i >> 9));
  return v;
}

// Reads exactly n bytes.
std::vector<std::uint8_t> read_n(PeerStream& s, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  std::size_t got = 0;
  while (got < n) {
    auto r = s.receive_some(std::span(out).subspan(got), 200ms);
    if (!r) {
      ADD_FAILURE() << r.status().message();
      break;
    }
    got += *r;
  }
  return out;
}

struct Result2 {
  std::unique_ptr<EncryptedStream> a;  // the initiator's
  std::unique_ptr<EncryptedStream> b;  // the responder's
  InfoHash asked;
  std::string a_error, b_error;
};

// Our initiator (offering `provide`, our handshake-sized IA) against our
// responder (allowing `allowed`) over memory; the responder knows torrents
// 0x11 and 0x22.
Result2 shake(std::uint32_t provide, std::uint32_t allowed, bool prefer_plain, const InfoHash& skey,
              std::vector<std::uint8_t> ia, std::chrono::milliseconds limit = 2000ms) {
  auto [x, y] = MemoryStream::pair();
  Result2 r;
  std::thread responder([&, y = std::move(y)]() mutable {
    std::array<std::uint8_t, 20> first{};
    std::size_t got = 0;
    while (got < first.size()) {
      auto n = y->receive_some(std::span(first).subspan(got), 200ms);
      if (!n) {
        r.b_error = n.status().message();
        return;
      }
      got += *n;
    }
    std::unique_ptr<PeerStream> s = std::move(y);
    auto lookup = [](const Sha1Digest& req2) -> std::optional<InfoHash> {
      for (std::uint8_t f : {0x11, 0x22}) {
        if (mse::req2(hash_of(f)) == req2) return hash_of(f);
      }
      return std::nullopt;
    };
    auto m = mse_accept(s, first, allowed, prefer_plain, lookup, within(limit));
    if (!m) {
      r.b_error = m.status().message();
      EXPECT_NE(s, nullptr);  // left with us on failure
      return;
    }
    r.b = std::move(m->stream);
    r.asked = m->skey;
  });
  auto a = mse_connect(std::move(x), skey, provide, std::move(ia), within(limit));
  if (a) {
    r.a = std::move(*a);
  } else {
    r.a_error = a.status().message();
  }
  responder.join();
  return r;
}

// Bulk bytes both ways, including a gathered send larger than one slice
// and a scatter read split between a buffer and a spill.
void expect_traffic(EncryptedStream& a, EncryptedStream& b) {
  auto big = pattern(3 * EncryptedStream::kSendSlice + 1234, 1);
  std::vector<iovec> parts;
  for (std::size_t at = 0; at < big.size(); at += 16397) {
    parts.push_back({big.data() + at, std::min<std::size_t>(16397, big.size() - at)});
  }
  ASSERT_TRUE(a.send_all(std::span(parts)));
  EXPECT_EQ(read_n(b, big.size()), big);

  auto back = pattern(40'000, 2);
  ASSERT_TRUE(b.send_all(back));
  std::vector<std::uint8_t> head(16384), spill(13);
  std::size_t got = 0;
  while (got < head.size() + spill.size()) {
    auto n = a.receive_some(std::span(head).subspan(std::min(got, head.size())),
                            got >= head.size() ? std::span(spill).subspan(got - head.size()) : std::span(spill),
                            200ms);
    ASSERT_TRUE(n) << n.status().message();
    got += *n;
  }
  EXPECT_TRUE(std::equal(head.begin(), head.end(), back.begin()));
  EXPECT_TRUE(std::equal(spill.begin(), spill.end(), back.begin() + 16384));
  auto rest = read_n(a, back.size() - head.size() - spill.size());
  EXPECT_TRUE(std::equal(rest.begin(), rest.end(), back.begin() + 16384 + 13));
}

TEST(MseStream, RequireBothWaysIsRc4AndTheInitialPayloadArrivesFirst) {
  auto ia = pattern(wire::kHandshakeSize, 3);
  auto r = shake(mse::kRc4, mse::kRc4, false, hash_of(0x22), ia);
  ASSERT_TRUE(r.a && r.b) << r.a_error << " / " << r.b_error;
  EXPECT_EQ(r.asked, hash_of(0x22));
  EXPECT_TRUE(r.a->rc4());
  EXPECT_TRUE(r.b->rc4());
  EXPECT_EQ(read_n(*r.b, ia.size()), ia);
  expect_traffic(*r.a, *r.b);
}

TEST(MsePolicy, PreferAgainstPreferIsAnObfuscatedHandshakeWithPlainPayload) {
  auto r = shake(mse_methods(Encryption::prefer), mse_methods(Encryption::prefer), true, hash_of(0x11),
                 pattern(68, 4));
  ASSERT_TRUE(r.a && r.b) << r.a_error << " / " << r.b_error;
  EXPECT_FALSE(r.a->rc4());
  EXPECT_FALSE(r.b->rc4());
  EXPECT_EQ(read_n(*r.b, 68), pattern(68, 4));
  expect_traffic(*r.a, *r.b);
}

TEST(MsePolicy, AResponderThatRequiresGetsRc4FromAPreferringInitiator) {
  auto r = shake(mse_methods(Encryption::prefer), mse_methods(Encryption::require), false, hash_of(0x11), {});
  ASSERT_TRUE(r.a && r.b) << r.a_error << " / " << r.b_error;
  EXPECT_TRUE(r.a->rc4());
  EXPECT_TRUE(r.b->rc4());
  expect_traffic(*r.a, *r.b);
}

TEST(MsePolicy, RequireRefusesAnInitiatorOfferingOnlyPlaintext) {
  auto r = shake(mse::kPlaintext, mse_methods(Encryption::require), false, hash_of(0x11), {}, 1000ms);
  EXPECT_FALSE(r.b);
  EXPECT_NE(r.b_error.find("no method in common"), std::string::npos) << r.b_error;
  EXPECT_FALSE(r.a);
}

TEST(MseStream, AnUnknownTorrentIsRefused) {
  auto r = shake(mse::kRc4, mse::kRc4, false, hash_of(0x33), {}, 1000ms);
  EXPECT_FALSE(r.b);
  EXPECT_NE(r.b_error.find("not one of our torrents"), std::string::npos) << r.b_error;
  EXPECT_FALSE(r.a);
}

// The attacker's handshake: a key, then silence. The responder gives up at
// its deadline, not later, and leaves the stream with the caller.
TEST(MseStream, APeerThatStopsMidHandshakeIsDroppedAtTheDeadline) {
  auto [x, y] = MemoryStream::pair();
  auto key = mse::make_keys(mse::system_random()).pub;
  ASSERT_TRUE(x->send_all(key));
  std::unique_ptr<PeerStream> s = std::move(y);
  const auto t0 = Clock::now();
  auto m = mse_accept(s, {}, mse::kRc4, false, [](const Sha1Digest&) { return std::optional<InfoHash>(); },
                      within(400ms));
  const auto took = Clock::now() - t0;
  ASSERT_FALSE(m);
  EXPECT_NE(m.status().message().find("timed out"), std::string::npos) << m.status().message();
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 2s);
  EXPECT_NE(s, nullptr);
}

// A stop request ends a handshake in progress within a poll.
TEST(MseStream, AStopEndsAHandshakeAtOnce) {
  auto [x, y] = MemoryStream::pair();
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    stop = true;
  });
  const auto t0 = Clock::now();
  auto a = mse_connect(std::move(x), hash_of(0x11), mse::kRc4, {},
                       HandshakeLimits{.deadline = Clock::now() + 10s, .stop = {&stop, nullptr}, .poll = 20ms});
  stopper.join();
  ASSERT_FALSE(a);
  EXPECT_EQ(a.status().code(), ErrorCode::cancelled);
  EXPECT_LT(Clock::now() - t0, 2s);
}

// --- dial_peer over loopback ---

// A peer that speaks only the plain protocol: reads 68 bytes, hangs up on
// anything that is not a handshake, answers one that is with `reply`.
class PlainPeer {
 public:
  explicit PlainPeer(bool requires_mse = false) : requires_mse_(requires_mse) {
    auto l = Listener::open("127.0.62.1", 0, false);
    EXPECT_TRUE(l) << l.status().message();
    listener_.emplace(std::move(*l));
    thread_ = std::thread([this] { serve(); });
  }
  ~PlainPeer() {
    done_ = true;
    listener_->interrupt();
    thread_.join();
  }
  PeerAddress address() const { return {"127.0.62.1", listener_->port()}; }
  int connections() const { return connections_.load(); }
  int handshakes() const { return handshakes_.load(); }

 private:
  void serve() {
    while (!done_) {
      auto c = listener_->accept(50ms);
      if (!c) return;
      if (!*c) continue;
      connections_.fetch_add(1);
      PeerSocket s = std::move(**c);
      std::array<std::uint8_t, wire::kHandshakeSize> buf{};
      std::size_t got = 0;
      while (got < buf.size()) {
        auto n = s.receive_some(std::span(buf).subspan(got), 200ms);
        if (!n || done_) break;
        got += *n;
      }
      if (got < buf.size() || requires_mse_) continue;  // hang up
      if (!wire::decode_handshake(buf)) continue;       // MSE's key: hang up
      handshakes_.fetch_add(1);
      (void)s.send_all(buf);  // a handshake back (the same one will do)
      std::this_thread::sleep_for(50ms);
    }
  }
  bool requires_mse_;
  std::optional<Listener> listener_;
  std::atomic<bool> done_{false};
  std::atomic<int> connections_{0}, handshakes_{0};
  std::thread thread_;
};

TEST(DialPeer, PreferFallsBackToPlainAtOnceWhenThePeerHangsUpOnMse) {
  PlainPeer peer;
  auto hs = pattern(wire::kHandshakeSize, 5);
  hs[0] = 19;
  std::memcpy(hs.data() + 1, "BitTorrent protocol", 19);
  const auto t0 = Clock::now();
  auto d = dial_peer(peer.address(), hash_of(0x11), hs, DialOptions{.encryption = Encryption::prefer}, {});
  ASSERT_TRUE(d) << d.status().message();
  EXPECT_LT(Clock::now() - t0, 3s);  // no handshake timeout (10 s) waited out
  EXPECT_TRUE(d->fell_back);
  EXPECT_FALSE(d->mse);
  EXPECT_FALSE(d->handshake_sent);
  ASSERT_TRUE(d->stream->send_all(hs));
  EXPECT_EQ(read_n(*d->stream, hs.size()), hs);
  EXPECT_EQ(peer.connections(), 2);
  EXPECT_EQ(peer.handshakes(), 1);
}

TEST(DialPeer, PlainFirstSkipsMseAndRequireNeverSendsPlain) {
  PlainPeer peer;
  auto hs = pattern(wire::kHandshakeSize, 6);
  hs[0] = 19;
  std::memcpy(hs.data() + 1, "BitTorrent protocol", 19);
  auto d = dial_peer(peer.address(), hash_of(0x11), hs,
                     DialOptions{.encryption = Encryption::prefer, .plain_first = true}, {});
  ASSERT_TRUE(d) << d.status().message();
  EXPECT_FALSE(d->fell_back);
  ASSERT_TRUE(d->stream->send_all(hs));
  EXPECT_EQ(read_n(*d->stream, hs.size()), hs);  // answered: the peer has counted it
  EXPECT_EQ(peer.connections(), 1);

  auto r = dial_peer(peer.address(), hash_of(0x11), hs,
                     DialOptions{.handshake_timeout = 2000ms, .encryption = Encryption::require}, {});
  EXPECT_FALSE(r);
  EXPECT_EQ(peer.connections(), 2);  // one MSE attempt, no plain retry
}

TEST(DialPeer, OffSendsNothingButPlain) {
  PlainPeer peer;
  auto hs = pattern(wire::kHandshakeSize, 7);
  hs[0] = 19;
  std::memcpy(hs.data() + 1, "BitTorrent protocol", 19);
  auto d = dial_peer(peer.address(), hash_of(0x11), hs, DialOptions{.encryption = Encryption::off}, {});
  ASSERT_TRUE(d) << d.status().message();
  EXPECT_FALSE(d->mse);
  EXPECT_FALSE(d->fell_back);
  EXPECT_FALSE(d->handshake_sent);
  ASSERT_TRUE(d->stream->send_all(hs));
  EXPECT_EQ(read_n(*d->stream, hs.size()), hs);  // answered: the peer has counted it
  EXPECT_EQ(peer.connections(), 1);  // no MSE attempt before it
}

TEST(EncryptionPolicy, ParsesItsThreeNames) {
  EXPECT_EQ(parse_encryption("prefer"), Encryption::prefer);
  EXPECT_EQ(parse_encryption("require"), Encryption::require);
  EXPECT_EQ(parse_encryption("off"), Encryption::off);
  EXPECT_FALSE(parse_encryption("forced"));
  EXPECT_FALSE(parse_encryption(""));
  EXPECT_EQ(mse_methods(Encryption::off), 0u);
  EXPECT_EQ(mse_methods(Encryption::require), mse::kRc4);
}

}  // namespace
}  // namespace fluxo
