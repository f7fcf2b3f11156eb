// Encrypted peer connections (MSE/PE, core/mse.h) over a PeerStream: the
// handshake run over a live stream, both sides, and EncryptedStream, the
// PeerStream the peer wire code reads and writes once it is done.
//
//   dial_peer():   outgoing. Connects, and unless the policy is `off` opens
//                  with MSE, our BitTorrent handshake riding as its initial
//                  payload (no extra round trip). Under `prefer`, a peer that
//                  hangs up on MSE is dialled again at once in plain.
//   mse_accept():  incoming, once the first bytes showed no plain handshake:
//                  the responder's side, the torrent found by HASH('req2').
//
// The policy (`--encryption`):
//   off      plain only; incoming MSE is refused.
//   prefer   both ways in; out, MSE first (RC4 or plaintext offered), plain
//            when MSE fails. As responder we select plaintext when offered:
//            the handshake is obfuscated, the payload travels in the clear
//            (libtorrent's default), so bulk transfers cost no cipher.
//   require  MSE with RC4 only, both ways; plain and RC4-less peers refused.
//
// EncryptedStream decrypts in place: a block read by the PIECE fast path
// lands in its piece buffer and is deciphered there. Sends are enciphered
// into a per-connection buffer (the shared upload cache is never written),
// in slices of kSendSlice bytes.
//
// Thread-safety: as PeerStream (one owner; interrupt() from anywhere).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mse.h"
#include "core/status.h"
#include "core/tracker_response.h"
#include "net/message_stream.h"
#include "net/peer_stream.h"

namespace fluxo {

enum class Encryption { off, prefer, require };
// How one connection's bytes travel.
enum class Wire { plain, mse_plaintext, mse_rc4 };
std::optional<Encryption> parse_encryption(std::string_view s);
const char* to_string(Encryption e);
// What we offer as initiator and accept as responder under a policy.
std::uint32_t mse_methods(Encryption e);

class EncryptedStream : public PeerStream {
 public:
  static constexpr std::size_t kSendSlice = 64 * 1024;

  // `done`: the finished handshake over `inner` (its payload is what the
  // peer sent after it, already deciphered, and is read first).
  EncryptedStream(std::unique_ptr<PeerStream> inner, mse::Established done);

  // Whether the payload is enciphered (RC4) or in the clear after the
  // obfuscated handshake.
  bool rc4() const { return encrypt_ != nullptr; }

  void watch(const std::atomic<bool>* stop, const std::atomic<bool>* also,
             std::chrono::milliseconds stall) override {
    inner_->watch(stop, also, stall);
  }
  Status send_all(std::span<const std::uint8_t> data) override;
  Status send_all(std::span<iovec> parts) override;
  std::size_t available() override { return pending_.size() - taken_ + inner_->available(); }
  Result<std::size_t> receive_some(std::span<std::uint8_t> buf, std::chrono::milliseconds wait) override {
    return receive_some(buf, {}, wait);
  }
  Result<std::size_t> receive_some(std::span<std::uint8_t> buf, std::span<std::uint8_t> spill,
                                   std::chrono::milliseconds wait) override;
  void interrupt() override { inner_->interrupt(); }
  const std::string& remote() const override { return inner_->remote(); }

 private:
  std::unique_ptr<PeerStream> inner_;
  std::unique_ptr<Rc4> decrypt_;  // null: the payload travels in the clear
  std::unique_ptr<Rc4> encrypt_;
  std::vector<std::uint8_t> pending_;  // deciphered payload that came with the handshake
  std::size_t taken_ = 0;
  std::vector<std::uint8_t> out_;  // enciphered bytes on their way out
};

struct HandshakeLimits {
  std::chrono::steady_clock::time_point deadline;
  StopFlags stop;
  std::chrono::milliseconds poll{200};
};

// The initiator's side over `s` (connected, nothing sent yet). On success
// the stream to use from now on; `initial_payload` has been sent.
Result<std::unique_ptr<EncryptedStream>> mse_connect(std::unique_ptr<PeerStream> s, const InfoHash& skey,
                                                     std::uint32_t provide,
                                                     std::vector<std::uint8_t> initial_payload,
                                                     const HandshakeLimits& limits,
                                                     mse::Random random = mse::system_random());

// The responder's side over `s`, whose first bytes (`first`, not a plain
// handshake) were read already. `lookup` knows our torrents by req2. On
// success `s` has moved into the returned stream; on failure it is left
// with the caller (who may be watching the socket in it).
struct MseAccepted {
  std::unique_ptr<EncryptedStream> stream;
  InfoHash skey;  // the torrent the peer asked for
};
Result<MseAccepted> mse_accept(std::unique_ptr<PeerStream>& s, std::span<const std::uint8_t> first,
                               std::uint32_t allowed, bool prefer_plaintext, mse::Responder::Lookup lookup,
                               const HandshakeLimits& limits, mse::Random random = mse::system_random());

struct DialOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds handshake_timeout{10000};
  std::string bind_ip;
  Encryption encryption = Encryption::prefer;
  // Under `prefer`: this address answered plain last time, skip MSE.
  bool plain_first = false;
};
struct Dialed {
  std::unique_ptr<PeerStream> stream;
  bool handshake_sent = false;  // our handshake went out already (as MSE's initial payload)
  bool mse = false;             // the connection is MSE (rc4: enciphered throughout)
  bool rc4 = false;
  bool fell_back = false;       // MSE failed and this is the plain retry
};
// Connects to `to` and, by the policy, opens MSE with `handshake` (our
// BitTorrent handshake) as its initial payload.
Result<Dialed> dial_peer(const PeerAddress& to, const InfoHash& info_hash, std::span<const std::uint8_t> handshake,
                         const DialOptions& options, StopFlags stop);

}  // namespace fluxo
