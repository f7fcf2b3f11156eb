// libFuzzer target: the MSE/PE handshake (core/mse.h). The fuzzer controls
// everything a peer controls after the key exchange: the target plays a
// correct peer up to the encrypted part (keys, the req hashes) and then
// encrypts the fuzz bytes with the right key, so they reach the parser as
// the decrypted VC, method, pad lengths, pads, IA and payload. Byte 0 picks
// the side (responder or initiator) and byte 1 how the input is chunked.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/mse.h"
#include "core/sha1.h"

namespace {

using namespace fluxo;
using namespace fluxo::mse;

Random fixed(std::uint8_t seed) {
  return [seed](std::span<std::uint8_t> out) mutable {
    for (auto& b : out) b = seed = static_cast<std::uint8_t>(seed * 75 + 74);
  };
}

Rc4 key_stream(std::string_view tag, const Key& s, const InfoHash& skey) {
  Sha1 h;
  h.update(tag);
  h.update(s);
  h.update(skey.bytes);
  Rc4 c(h.finish());
  c.discard(1024);
  return c;
}

template <typename Side>
void feed_all(Side& side, const std::vector<std::uint8_t>& msg, std::size_t chunk) {
  std::vector<std::uint8_t> out;
  for (std::size_t at = 0; at < msg.size(); at += chunk) {
    const std::size_t n = std::min(chunk, msg.size() - at);
    auto r = side.feed({msg.data() + at, n}, out);
    if (!r) return;
    if (*r) {
      Established e = side.take();
      if (e.method != kRc4 && e.method != kPlaintext) __builtin_trap();
      if (e.payload.size() > msg.size()) __builtin_trap();
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool responder = (data[0] & 1) != 0;
  const std::size_t chunk = 1 + data[1] % 64;
  std::vector<std::uint8_t> fuzz(data + 2, data + size);
  InfoHash skey;
  skey.bytes.fill(0x42);
  if (responder) {
    Responder b(kRc4 | kPlaintext, [&](const Sha1Digest&) { return std::optional<InfoHash>(skey); }, fixed(1));
    const KeyPair a = make_keys(fixed(2));
    std::vector<std::uint8_t> out;
    if (!b.feed(a.pub, out) || out.size() < kKeyBytes) __builtin_trap();
    Key yb{};
    std::copy_n(out.begin(), kKeyBytes, yb.begin());
    auto s = shared_secret(a, yb);
    if (!s) __builtin_trap();
    std::vector<std::uint8_t> msg;
    auto r1 = req1(*s), r2 = req2(skey), r3 = req3(*s);
    msg.insert(msg.end(), r1.begin(), r1.end());
    for (std::size_t i = 0; i < r2.size(); ++i) msg.push_back(r2[i] ^ r3[i]);
    Rc4 enc = key_stream("keyA", *s, skey);
    enc.apply(fuzz);
    msg.insert(msg.end(), fuzz.begin(), fuzz.end());
    feed_all(b, msg, chunk);
  } else {
    Initiator a(skey, kRc4 | kPlaintext, std::vector<std::uint8_t>(68, 0x13), fixed(3));
    const auto hello = a.start();
    Key ya{};
    std::copy_n(hello.begin(), kKeyBytes, ya.begin());
    const KeyPair b = make_keys(fixed(4));
    auto s = shared_secret(b, ya);
    if (!s) __builtin_trap();
    std::vector<std::uint8_t> msg(b.pub.begin(), b.pub.end());
    Rc4 enc = key_stream("keyB", *s, skey);
    enc.apply(fuzz);
    msg.insert(msg.end(), fuzz.begin(), fuzz.end());
    feed_all(a, msg, chunk);
  }
  return 0;
}
