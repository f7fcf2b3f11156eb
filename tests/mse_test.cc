// Message Stream Encryption: RC4 against published vectors, the
// Diffie-Hellman exchange, and the handshake between our initiator and our
// responder byte by byte and at once, with each method, and against the
// inputs a hostile peer would send (bad keys, a bad verification constant,
// oversized pads, a marker that never comes, an unknown torrent).
#include "core/mse.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/sha1.h"

namespace fluxo::mse {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string hex(std::span<const std::uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (auto c : b) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

Random seeded(unsigned seed) {
  auto rng = std::make_shared<std::mt19937>(seed);
  return [rng](std::span<std::uint8_t> out) {
    for (auto& b : out) b = static_cast<std::uint8_t>((*rng)());
  };
}

// Both engines (OpenSSL's where its legacy provider loads, and ours) give
// the published key streams, and a copy goes on where its original was.
void expect_vectors(Rc4::Engine engine) {
  struct Case {
    const char* key;
    const char* plain;
    const char* cipher;
  } cases[] = {{"Key", "Plaintext", "bbf316e8d940af0ad3"},
               {"Wiki", "pedia", "1021bf0420"},
               {"Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5"}};
  for (const auto& c : cases) {
    Rc4 rc4(bytes(c.key), engine);
    auto data = bytes(c.plain);
    rc4.apply(data);
    EXPECT_EQ(hex(data), c.cipher) << c.key;
  }
  // RFC 6229, 40-bit key 0x0102030405: key stream at offsets 0 and 1024
  // (1024 is where MSE starts).
  const std::uint8_t key[] = {1, 2, 3, 4, 5};
  Rc4 a(key, engine);
  std::vector<std::uint8_t> zeros(16, 0);
  a.apply(zeros);
  EXPECT_EQ(hex(zeros), "b2396305f03dc027ccc3524a0a1118a8");
  Rc4 b(key, engine);
  b.discard(1000);
  Rc4 copy = b;  // the initiator looks ahead with a copy
  b.discard(24);
  copy.discard(24);
  std::vector<std::uint8_t> at1024(16, 0), again(16, 0);
  b.apply(at1024);
  copy.apply(again);
  EXPECT_EQ(hex(at1024), "30abbcc7c20b01609f23ee2d5f6bb7df");
  EXPECT_EQ(hex(again), "30abbcc7c20b01609f23ee2d5f6bb7df");
}

TEST(Rc4, OurEngineMatchesPublishedVectors) { expect_vectors(Rc4::Engine::own); }

TEST(Rc4, TheBestEngineMatchesThemToo) {
  expect_vectors(Rc4::Engine::best);
  const std::uint8_t key[] = {1, 2, 3};
  EXPECT_EQ(Rc4(key).openssl(), Rc4::openssl_available());
  EXPECT_FALSE(Rc4(key, Rc4::Engine::own).openssl());
}

TEST(Rc4, EnginesAgreeOverALongStream) {
  const std::uint8_t key[20] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  Rc4 best(key), own(key, Rc4::Engine::own);
  std::vector<std::uint8_t> x(100'003), y;
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::uint8_t>(i * 31);
  y = x;
  best.apply(x);
  own.apply(y.data(), y.data(), y.size());
  EXPECT_EQ(x, y);
}

TEST(MseKeys, BothSidesDeriveOneSecretAndTrivialKeysAreRefused) {
  const KeyPair a = make_keys(seeded(1)), b = make_keys(seeded(2));
  auto sa = shared_secret(a, b.pub), sb = shared_secret(b, a.pub);
  ASSERT_TRUE(sa && sb);
  EXPECT_EQ(*sa, *sb);
  EXPECT_NE(a.pub, b.pub);
  Key zero{}, one{}, p_minus_1{};
  one.back() = 1;
  // P - 1: P ends in ...0563.
  const char* p = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A"
                  "431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563";
  for (std::size_t i = 0; i < kKeyBytes; ++i) p_minus_1[i] = static_cast<std::uint8_t>(std::stoi(std::string(p + 2 * i, 2), nullptr, 16));
  p_minus_1.back() -= 1;
  for (const Key& bad : {zero, one, p_minus_1}) {
    auto s = shared_secret(a, bad);
    ASSERT_FALSE(s);
    EXPECT_NE(s.status().message().find("out of range"), std::string::npos);
  }
  Key all_ff;
  all_ff.fill(0xff);  // above P
  EXPECT_FALSE(shared_secret(a, all_ff));
}

struct Pair {
  InfoHash skey;
  Initiator a;
  Responder b;
  Pair(std::uint32_t provide, std::uint32_t allow, std::vector<std::uint8_t> ia, unsigned seed = 7)
      : skey(make_skey()),
        a(skey, provide, std::move(ia), seeded(seed)),
        b(allow, [this](const Sha1Digest& r) { return r == req2(skey) ? std::optional(skey) : std::nullopt; },
          seeded(seed + 100)) {}
  static InfoHash make_skey() {
    InfoHash h;
    for (std::size_t i = 0; i < h.bytes.size(); ++i) h.bytes[i] = static_cast<std::uint8_t>(i * 7 + 1);
    return h;
  }
};

// Runs the handshake, handing bytes over `chunk` at a time (0: all at once);
// `extra_a`/`extra_b`: payload each side sends right after it finishes.
void run(Pair& p, std::size_t chunk, Established& ea, Established& eb) {
  std::vector<std::uint8_t> to_b = p.a.start(), to_a;
  bool a_done = false, b_done = false;
  for (int round = 0; round < 100000 && !(a_done && b_done); ++round) {
    auto step = [&](auto& side, std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out, bool& done) {
      if (done || in.empty()) return;
      const std::size_t n = chunk ? std::min(chunk, in.size()) : in.size();
      std::vector<std::uint8_t> piece(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
      auto r = side.feed(piece, out);
      ASSERT_TRUE(r) << r.status().to_string();
      done = *r;
      if (done) {
        // Anything still queued for it is payload that came after the handshake.
        auto rest = in;
        in.clear();
        auto e = side.take();
        e.payload.insert(e.payload.end(), rest.begin(), rest.end());
        if constexpr (std::is_same_v<std::decay_t<decltype(side)>, Initiator>) {
          ea = std::move(e);
        } else {
          eb = std::move(e);
        }
      }
    };
    step(p.b, to_b, to_a, b_done);
    step(p.a, to_a, to_b, a_done);
  }
  ASSERT_TRUE(a_done && b_done);
}

// A responder that lies: it selects plaintext although we offered RC4 alone
// (`require`). Its crypto_select is flipped in the ciphertext (RC4 is a
// stream XOR); the initiator must refuse rather than send in the clear.
TEST(MseHandshake, AnInitiatorThatOfferedOnlyRc4RefusesAResponderSelectingPlaintext) {
  Pair p(kRc4, kRc4 | kPlaintext, bytes("IA"));
  std::vector<std::uint8_t> to_b = p.a.start(), to_a;
  auto r0 = p.b.feed(to_b, to_a);  // Yb, PadB
  ASSERT_TRUE(r0 && !*r0);
  to_b.clear();
  auto r1 = p.a.feed(to_a, to_b);  // step 3
  ASSERT_TRUE(r1 && !*r1);
  to_a.clear();
  auto r2 = p.b.feed(to_b, to_a);  // step 4: VC, crypto_select, len(PadD)
  ASSERT_TRUE(r2 && *r2);
  ASSERT_EQ(to_a.size(), 14u);
  to_a[11] ^= 0x03;  // 0x02 (RC4) becomes 0x01 (plaintext) under the same key stream
  std::vector<std::uint8_t> out;
  auto r3 = p.a.feed(to_a, out);
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.status().message().find("did not offer"), std::string::npos) << r3.status().message();
}

TEST(MseHandshake, Rc4EndToEndByteByByteAndAtOnce) {
  const auto ia = bytes("\x13" "BitTorrent protocol and the rest of a handshake");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{0}}) {
    Pair p(kRc4 | kPlaintext, kRc4 | kPlaintext, ia, 11 + static_cast<unsigned>(chunk));
    Established ea, eb;
    run(p, chunk, ea, eb);
    ASSERT_EQ(ea.method, kRc4);
    ASSERT_EQ(eb.method, kRc4);
    EXPECT_EQ(eb.skey, p.skey);
    EXPECT_EQ(eb.payload, ia);  // the IA, decrypted
    EXPECT_TRUE(ea.payload.empty());
    // The payload ciphers pair up both ways.
    auto msg = bytes("piece data, both ways");
    auto wire = msg;
    ea.encrypt->apply(wire);
    EXPECT_NE(wire, msg);
    eb.decrypt->apply(wire);
    EXPECT_EQ(wire, msg);
    eb.encrypt->apply(wire);
    ea.decrypt->apply(wire);
    EXPECT_EQ(wire, msg);
  }
}

TEST(MseHandshake, PlaintextWhenThatIsAllBothAllow) {
  Pair p(kPlaintext, kRc4 | kPlaintext, bytes("hello"));
  Established ea, eb;
  run(p, 5, ea, eb);
  EXPECT_EQ(ea.method, kPlaintext);
  EXPECT_EQ(eb.method, kPlaintext);
  EXPECT_EQ(eb.payload, bytes("hello"));
  EXPECT_FALSE(ea.encrypt);
}

TEST(MseHandshake, PayloadThatArrivesWithTheHandshakeIsKeptAndDecryptedOnce) {
  Pair p(kRc4, kRc4, bytes("IA"));
  std::vector<std::uint8_t> to_a, to_b = p.a.start();
  ASSERT_TRUE(p.b.feed(to_b, to_a));  // B sends Yb, PadB
  to_b.clear();
  ASSERT_TRUE(p.a.feed(to_a, to_b));  // A sends step 3
  to_a.clear();
  auto done_b = p.b.feed(to_b, to_a);  // B sends step 4
  ASSERT_TRUE(done_b && *done_b);
  Established eb = p.b.take();
  // B's first payload bytes travel in the same packet as step 4.
  auto first = bytes("bitfield right away");
  auto wire = first;
  eb.encrypt->apply(wire);
  to_a.insert(to_a.end(), wire.begin(), wire.end());
  std::vector<std::uint8_t> none;
  auto done_a = p.a.feed(to_a, none);
  ASSERT_TRUE(done_a && *done_a);
  EXPECT_TRUE(none.empty());
  Established ea = p.a.take();
  EXPECT_EQ(ea.payload, first);
}

TEST(MseHostile, AnUnknownTorrentIsRefused) {
  InfoHash other;
  other.bytes.fill(9);
  Initiator a(other, kRc4, {}, seeded(3));
  Responder b(kRc4, [](const Sha1Digest&) { return std::optional<InfoHash>(); }, seeded(4));
  std::vector<std::uint8_t> to_a, to_b = a.start();
  ASSERT_TRUE(b.feed(to_b, to_a));
  to_b.clear();
  ASSERT_TRUE(a.feed(to_a, to_b));
  auto r = b.feed(to_b, to_a);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("not one of our torrents"), std::string::npos);
}

TEST(MseHostile, NoMethodInCommonIsRefused) {
  Pair p(kPlaintext, kRc4, {});
  std::vector<std::uint8_t> to_a, to_b = p.a.start();
  ASSERT_TRUE(p.b.feed(to_b, to_a));
  to_b.clear();
  ASSERT_TRUE(p.a.feed(to_a, to_b));
  auto r = p.b.feed(to_b, to_a);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("no method in common"), std::string::npos);
}

TEST(MseHostile, AMarkerThatNeverComesFailsWithinTheWindow) {
  // A responder fed Ya and then junk: it gives up once 532 bytes passed
  // without HASH('req1', S), not later, and holds no more than that.
  Responder b(kRc4, [](const Sha1Digest&) { return std::optional<InfoHash>(); }, seeded(5));
  const KeyPair a = make_keys(seeded(6));
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(b.feed(a.pub, out));
  std::vector<std::uint8_t> junk(kMaxPad + kSha1Size - 1, 0x5a);
  auto r = b.feed(junk, out);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  std::uint8_t one = 0x5a;
  r = b.feed({&one, 1}, out);
  ASSERT_FALSE(r);
  // The initiator's side: Yb, then no ENCRYPT(VC) within 520 bytes.
  Initiator i(Pair::make_skey(), kRc4, {}, seeded(8));
  (void)i.start();
  const KeyPair peer = make_keys(seeded(9));
  std::vector<std::uint8_t> in(peer.pub.begin(), peer.pub.end());
  in.resize(in.size() + kMaxPad + 8, 0x33);
  auto ri = i.feed(in, out);
  ASSERT_FALSE(ri);
  EXPECT_NE(ri.status().message().find("verification constant"), std::string::npos);
}

TEST(MseHostile, ABadVerificationConstantOrOversizedPadIsRefused) {
  for (int variant = 0; variant < 2; ++variant) {
    // A hand-made initiator: right keys and hashes, then a VC of ones, or a
    // PadC of 513 bytes.
    InfoHash skey = Pair::make_skey();
    Responder b(kRc4, [&](const Sha1Digest& r) { return r == req2(skey) ? std::optional(skey) : std::nullopt; },
                seeded(10));
    const KeyPair a = make_keys(seeded(11));
    std::vector<std::uint8_t> to_a;
    ASSERT_TRUE(b.feed(a.pub, to_a));
    Key yb{};
    std::copy_n(to_a.begin(), kKeyBytes, yb.begin());
    auto s = shared_secret(a, yb);
    ASSERT_TRUE(s);
    std::vector<std::uint8_t> msg;
    auto r1 = req1(*s), r2 = req2(skey), r3 = req3(*s);
    msg.insert(msg.end(), r1.begin(), r1.end());
    for (std::size_t i = 0; i < r2.size(); ++i) msg.push_back(r2[i] ^ r3[i]);
    std::vector<std::uint8_t> plain(8, variant == 0 ? 1 : 0);
    plain.insert(plain.end(), {0, 0, 0, 2});
    plain.insert(plain.end(), {0x02, 0x01});  // len(PadC) = 513
    Sha1 h;
    h.update(std::string_view("keyA"));
    h.update(*s);
    h.update(skey.bytes);
    Rc4 enc(h.finish());
    enc.discard(1024);
    enc.apply(plain);
    msg.insert(msg.end(), plain.begin(), plain.end());
    auto r = b.feed(msg, to_a);
    ASSERT_FALSE(r) << variant;
    EXPECT_NE(r.status().message().find(variant == 0 ? "verification constant" : "padding"), std::string::npos)
        << r.status().message();
  }
}

}  // namespace
}  // namespace fluxo::mse
