#include "net/mse_stream.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "net/peer_socket.h"

namespace fluxo {
namespace {

using Clock = std::chrono::steady_clock;

// Runs one side of the handshake over `s` until it is done: what the machine
// answers is sent, what the peer sends is fed to it. Reads a little at a
// time (a read may reach past the handshake: the machine keeps that as
// payload).
template <class Machine>
Status drive(PeerStream& s, Machine& m, std::vector<std::uint8_t> out, std::span<const std::uint8_t> first,
             const HandshakeLimits& limits) {
  if (!first.empty()) {
    auto r = m.feed(first, out);
    if (!r) return r.status();
    if (*r) return out.empty() ? Status::ok() : s.send_all(out);
  }
  std::array<std::uint8_t, 2048> buf{};
  while (true) {
    if (!out.empty()) {
      if (Status st = s.send_all(out); !st) return st;
      out.clear();
    }
    if (limits.stop.raised()) return limits.stop.status(s.remote());
    if (Clock::now() > limits.deadline) {
      return Status(ErrorCode::network_error, s.remote() + ": encrypted handshake timed out");
    }
    auto n = s.receive_some(buf, limits.poll);
    if (!n) return n.status();
    if (*n == 0) continue;
    auto r = m.feed(std::span(buf).first(*n), out);
    if (!r) return Status(r.status().code(), s.remote() + ": " + r.status().message());
    if (*r) return out.empty() ? Status::ok() : s.send_all(out);
  }
}

}  // namespace

std::optional<Encryption> parse_encryption(std::string_view s) {
  if (s == "off") return Encryption::off;
  if (s == "prefer") return Encryption::prefer;
  if (s == "require") return Encryption::require;
  return std::nullopt;
}

const char* to_string(Encryption e) {
  switch (e) {
    case Encryption::off:
      return "off";
    case Encryption::prefer:
      return "prefer";
    case Encryption::require:
      return "require";
  }
  return "?";
}

std::uint32_t mse_methods(Encryption e) {
  switch (e) {
    case Encryption::off:
      return 0;
    case Encryption::prefer:
      return mse::kRc4 | mse::kPlaintext;
    case Encryption::require:
      return mse::kRc4;
  }
  return 0;
}

EncryptedStream::EncryptedStream(std::unique_ptr<PeerStream> inner, mse::Established done)
    : inner_(std::move(inner)), pending_(std::move(done.payload)) {
  if (done.method == mse::kRc4) {
    decrypt_ = std::move(done.decrypt);
    encrypt_ = std::move(done.encrypt);
  }
}

Status EncryptedStream::send_all(std::span<const std::uint8_t> data) {
  if (!encrypt_) return inner_->send_all(data);
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kSendSlice);
    out_.resize(n);
    encrypt_->apply(data.data(), out_.data(), n);
    if (Status st = inner_->send_all(out_); !st) return st;
    data = data.subspan(n);
  }
  return Status::ok();
}

// Gathers the parts into slices of the output buffer, enciphered on the way
// (one copy, which RC4 needs anyway: the parts may be the shared upload cache).
Status EncryptedStream::send_all(std::span<iovec> parts) {
  if (!encrypt_) return inner_->send_all(parts);
  out_.resize(kSendSlice);
  std::size_t filled = 0;
  for (auto& part : parts) {
    auto* from = static_cast<const std::uint8_t*>(part.iov_base);
    std::size_t left = part.iov_len;
    while (left > 0) {
      const std::size_t n = std::min(left, kSendSlice - filled);
      encrypt_->apply(from, out_.data() + filled, n);
      filled += n;
      from += n;
      left -= n;
      if (filled == kSendSlice) {
        if (Status st = inner_->send_all(std::span<const std::uint8_t>(out_.data(), filled)); !st) return st;
        filled = 0;
      }
    }
    part.iov_base = const_cast<std::uint8_t*>(from);
    part.iov_len = 0;
  }
  if (filled == 0) return Status::ok();
  return inner_->send_all(std::span<const std::uint8_t>(out_.data(), filled));
}

Result<std::size_t> EncryptedStream::receive_some(std::span<std::uint8_t> buf, std::span<std::uint8_t> spill,
                                                  std::chrono::milliseconds wait) {
  if (taken_ < pending_.size()) {  // what came with the handshake, deciphered already
    std::size_t n = 0;
    for (auto part : {buf, spill}) {
      const std::size_t k = std::min(part.size(), pending_.size() - taken_);
      if (k == 0) continue;  // an empty span's data() may be null
      std::memcpy(part.data(), pending_.data() + taken_, k);
      taken_ += k;
      n += k;
    }
    if (taken_ == pending_.size()) {
      pending_ = {};
      taken_ = 0;
    }
    return n;
  }
  auto r = inner_->receive_some(buf, spill, wait);
  if (r && decrypt_ && *r > 0) {
    const std::size_t in_buf = std::min(*r, buf.size());
    decrypt_->apply(buf.first(in_buf));
    if (*r > in_buf) decrypt_->apply(spill.first(*r - in_buf));
  }
  return r;
}

Result<std::unique_ptr<EncryptedStream>> mse_connect(std::unique_ptr<PeerStream> s, const InfoHash& skey,
                                                     std::uint32_t provide,
                                                     std::vector<std::uint8_t> initial_payload,
                                                     const HandshakeLimits& limits, mse::Random random) {
  mse::Initiator m(skey, provide, std::move(initial_payload), std::move(random));
  if (Status st = drive(*s, m, m.start(), {}, limits); !st) return st;
  return std::make_unique<EncryptedStream>(std::move(s), m.take());
}

Result<MseAccepted> mse_accept(std::unique_ptr<PeerStream>& s, std::span<const std::uint8_t> first,
                               std::uint32_t allowed, bool prefer_plaintext, mse::Responder::Lookup lookup,
                               const HandshakeLimits& limits, mse::Random random) {
  mse::Responder m(allowed, std::move(lookup), std::move(random));
  if (prefer_plaintext) m.prefer(mse::kPlaintext);
  if (Status st = drive(*s, m, {}, first, limits); !st) return st;
  mse::Established done = m.take();
  const InfoHash skey = done.skey;
  return MseAccepted{std::make_unique<EncryptedStream>(std::move(s), std::move(done)), skey};
}

Result<Dialed> dial_peer(const PeerAddress& to, const InfoHash& info_hash, std::span<const std::uint8_t> handshake,
                         const DialOptions& o, StopFlags stop) {
  auto connect = [&]() -> Result<std::unique_ptr<PeerStream>> {
    auto sock = PeerSocket::connect(to, o.connect_timeout, o.bind_ip);
    if (!sock) return sock.status();
    return std::unique_ptr<PeerStream>(std::make_unique<PeerSocket>(std::move(*sock)));
  };
  const bool try_mse =
      o.encryption == Encryption::require || (o.encryption == Encryption::prefer && !o.plain_first);
  if (!try_mse) {
    auto s = connect();
    if (!s) return s.status();
    return Dialed{.stream = std::move(*s)};
  }
  auto s = connect();
  if (!s) return s.status();
  const HandshakeLimits limits{.deadline = Clock::now() + o.handshake_timeout, .stop = stop};
  auto e = mse_connect(std::move(*s), info_hash, mse_methods(o.encryption),
                       std::vector<std::uint8_t>(handshake.begin(), handshake.end()), limits);
  if (e) {
    const bool rc4 = (*e)->rc4();
    return Dialed{.stream = std::move(*e), .handshake_sent = true, .mse = true, .rc4 = rc4};
  }
  // A peer without MSE hangs up on our key (it is no handshake): under
  // `prefer`, dial again in plain at once.
  if (o.encryption != Encryption::prefer || e.status().code() == ErrorCode::cancelled || stop.raised()) {
    return e.status();
  }
  auto again = connect();
  if (!again) return again.status();
  return Dialed{.stream = std::move(*again), .fell_back = true};
}

}  // namespace fluxo
