// Message Stream Encryption / Protocol Encryption (MSE/PE: Azureus' spec,
// spoken by libtorrent, Transmission, qBittorrent and aria2): the handshake
// that lets peers which require encryption talk to us, as pure state
// machines over bytes (no sockets; net/ wraps them around a PeerStream).
//
//   1 A->B: Ya, PadA
//   2 B->A: Yb, PadB
//   3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
//           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//   4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
//   5 A->B: ENCRYPT2(payload)
//
// Y: 768-bit Diffie-Hellman public keys (generator 2), 96 bytes big-endian;
// S the shared secret; SKEY the info-hash; HASH SHA-1; VC eight zeros;
// ENCRYPT RC4 with the key HASH('keyA', S, SKEY) from A (and 'keyB' from B),
// the first 1024 bytes of key stream discarded; ENCRYPT2 what crypto_select
// chose (0x01 plaintext, 0x02 RC4). IA, the initial payload, carries A's
// BitTorrent handshake.
//
// Bounds (everything a hostile peer controls): pads of at most 512 bytes
// (the spec's limit), so the initiator finds ENCRYPT(VC) within 520 bytes
// after Yb and the responder finds HASH('req1', S) within 532 after Ya, or
// the handshake fails; IA at most kMaxInitialPayload; a public key outside
// 2..P-2 is refused. The input is consumed exactly: a byte of payload that
// arrived with the handshake is handed on, decrypted, never lost or
// decrypted twice.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/rc4.h"
#include "core/status.h"
#include "core/types.h"

namespace fluxo::mse {

inline constexpr std::size_t kKeyBytes = 96;
inline constexpr std::size_t kMaxPad = 512;
inline constexpr std::size_t kMaxInitialPayload = 1024;  // a BitTorrent handshake is 68
inline constexpr std::uint32_t kPlaintext = 0x01;
inline constexpr std::uint32_t kRc4 = 0x02;

using Key = std::array<std::uint8_t, kKeyBytes>;
// Fills its argument with random bytes (tests pass a deterministic one).
using Random = std::function<void(std::span<std::uint8_t>)>;
Random system_random();

struct KeyPair {
  std::array<std::uint8_t, 20> secret{};  // 160 random bits
  Key pub{};                              // 2^secret mod P
};
KeyPair make_keys(const Random& random);
// The shared secret S, or an error when `theirs` is not in 2..P-2.
Result<Key> shared_secret(const KeyPair& mine, const Key& theirs);

Sha1Digest req1(const Key& s);
// HASH('req2', SKEY): how a responder knows each of its torrents.
Sha1Digest req2(const InfoHash& skey);
Sha1Digest req3(const Key& s);

// A finished handshake.
struct Established {
  std::uint32_t method = 0;      // kPlaintext or kRc4: how the payload travels
  std::unique_ptr<Rc4> decrypt;  // with kRc4: for what comes from the peer
  std::unique_ptr<Rc4> encrypt;  // with kRc4: for what we send
  // Payload bytes that came with the handshake, decrypted: for the
  // responder, the initiator's IA first.
  std::vector<std::uint8_t> payload;
  InfoHash skey;  // the torrent (the responder learns it from req2)
};

// The connecting side (A).
class Initiator {
 public:
  // `provide`: kRc4, kPlaintext or both; `initial_payload` (our BitTorrent
  // handshake) goes encrypted in step 3.
  Initiator(const InfoHash& skey, std::uint32_t provide, std::vector<std::uint8_t> initial_payload,
            Random random = system_random());
  // Step 1: what to send first.
  std::vector<std::uint8_t> start();
  // Bytes from the peer; what to send next is appended to `out`. True once
  // the handshake is done: take() then.
  Result<bool> feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
  Established take();

 private:
  enum class Stage { key, sync, select, pad, done };
  InfoHash skey_;
  std::uint32_t provide_;
  std::vector<std::uint8_t> ia_;
  Random random_;
  KeyPair keys_;
  Stage stage_ = Stage::key;
  std::vector<std::uint8_t> buf_;  // received, not yet consumed
  std::array<std::uint8_t, 8> vc_pattern_{};
  std::uint32_t select_ = 0;
  std::size_t pad_ = 0;
  std::unique_ptr<Rc4> enc_, dec_;
};

// The accepting side (B). `lookup` maps HASH('req2', SKEY) to one of our
// torrents (nullopt: not ours, and the handshake fails).
class Responder {
 public:
  using Lookup = std::function<std::optional<InfoHash>(const Sha1Digest& req2)>;
  // `allowed`: the methods we accept; RC4 is chosen when both sides allow it,
  // unless prefer() says otherwise.
  Responder(std::uint32_t allowed, Lookup lookup, Random random = system_random());
  // The method to select when the initiator offers it and we allow it
  // (kPlaintext: an obfuscated handshake, then the payload in the clear, as
  // libtorrent does by default; the bulk of the bytes costs nothing).
  void prefer(std::uint32_t method) { prefer_ = method; }
  Result<bool> feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
  Established take();

 private:
  enum class Stage { key, sync, req, vc, pad, ia, done };
  std::uint32_t allowed_;
  std::uint32_t prefer_ = kRc4;
  Lookup lookup_;
  Random random_;
  KeyPair keys_;
  Key secret_{};
  Sha1Digest req1_{};
  Stage stage_ = Stage::key;
  std::vector<std::uint8_t> buf_;
  std::uint32_t provide_ = 0;
  std::size_t pad_ = 0;
  std::size_t ia_len_ = 0;
  std::vector<std::uint8_t> ia_;
  InfoHash skey_;
  std::uint32_t select_ = 0;
  std::unique_ptr<Rc4> enc_, dec_;
};

}  // namespace fluxo::mse
