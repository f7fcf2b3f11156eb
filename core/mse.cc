#include "core/mse.h"

#include <openssl/bn.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "core/sha1.h"

namespace fluxo::mse {
namespace {

// The MSE prime: 768 bits (the spec's P), generator 2.
constexpr const char* kPrimeHex =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A"
    "431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563";

constexpr std::size_t kVcBytes = 8;
constexpr std::size_t kDiscard = 1024;

Status fail(const std::string& why) { return Status(ErrorCode::protocol_error, "encrypted handshake: " + why); }

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;
using BnCtx = std::unique_ptr<BN_CTX, BnDeleter>;

Bn prime() {
  BIGNUM* p = nullptr;
  BN_hex2bn(&p, kPrimeHex);
  return Bn(p);
}

Bn from_bytes(std::span<const std::uint8_t> b) {
  return Bn(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
}

// base^exp mod P, 96 bytes big-endian.
Key power(const BIGNUM* base, std::span<const std::uint8_t> exp) {
  Key out{};
  Bn p = prime(), e = from_bytes(exp), r(BN_new());
  BnCtx ctx(BN_CTX_new());
  if (p && e && r && ctx && BN_mod_exp(r.get(), base, e.get(), p.get(), ctx.get()) == 1) {
    BN_bn2binpad(r.get(), out.data(), static_cast<int>(out.size()));
  }
  return out;
}

Sha1Digest hash(std::string_view tag, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) {
  Sha1 h;
  h.update(tag);
  h.update(a);
  h.update(b);
  return h.finish();
}

std::unique_ptr<Rc4> cipher(std::string_view tag, const Key& s, const InfoHash& skey) {
  const Sha1Digest key = hash(tag, s, skey.bytes);
  auto c = std::make_unique<Rc4>(key);
  c->discard(kDiscard);
  return c;
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_u16(std::vector<std::uint8_t>& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
std::uint32_t get_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
std::size_t get_u16(const std::uint8_t* p) { return std::size_t{p[0]} << 8 | p[1]; }

// Random padding: 0..kMaxPad bytes.
void append_pad(std::vector<std::uint8_t>& out, const Random& random) {
  std::array<std::uint8_t, 2> n{};
  random(n);
  const std::size_t len = (std::size_t{n[0]} << 8 | n[1]) % (kMaxPad + 1);
  const std::size_t at = out.size();
  out.resize(at + len);
  random({out.data() + at, len});
}

// The first offset <= max_offset at which `pattern` starts in `buf`; nullopt
// when it is not there (yet).
std::optional<std::size_t> find(const std::vector<std::uint8_t>& buf, std::span<const std::uint8_t> pattern,
                                std::size_t max_offset) {
  if (buf.size() < pattern.size()) return std::nullopt;
  const std::size_t last = std::min(buf.size() - pattern.size(), max_offset);
  for (std::size_t k = 0; k <= last; ++k) {
    if (std::memcmp(buf.data() + k, pattern.data(), pattern.size()) == 0) return k;
  }
  return std::nullopt;
}

void consume(std::vector<std::uint8_t>& buf, std::size_t n) {
  buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
}

// The handshake's outcome: the ciphers go with it only when RC4 carries the
// payload (with plaintext they were for the handshake alone).
Established finish(std::uint32_t method, const InfoHash& skey, std::vector<std::uint8_t> payload,
                   std::unique_ptr<Rc4>& dec, std::unique_ptr<Rc4>& enc) {
  Established e;
  e.method = method;
  e.skey = skey;
  e.payload = std::move(payload);
  if (method == kRc4) {
    e.decrypt = std::move(dec);
    e.encrypt = std::move(enc);
  }
  return e;
}

}  // namespace

Random system_random() {
  return [](std::span<std::uint8_t> out) {
    if (!out.empty() && RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
      // No entropy at all is not a state to encrypt in; OpenSSL reports it
      // only when the system's random source is broken.
      std::abort();
    }
  };
}

KeyPair make_keys(const Random& random) {
  KeyPair k;
  random(k.secret);
  Bn two(BN_new());
  if (two) BN_set_word(two.get(), 2);
  k.pub = power(two.get(), k.secret);
  return k;
}

Result<Key> shared_secret(const KeyPair& mine, const Key& theirs) {
  Bn y = from_bytes(theirs), p = prime(), limit(BN_new());
  if (!y || !p || !limit) return fail("out of memory");
  // 2 <= Y <= P-2: 0, 1 and P-1 would make the secret guessable.
  BN_copy(limit.get(), p.get());
  BN_sub_word(limit.get(), 1);
  if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), limit.get()) >= 0) {
    return fail("the peer's public key is out of range");
  }
  return power(y.get(), mine.secret);
}

Sha1Digest req1(const Key& s) { return hash("req1", s); }
Sha1Digest req2(const InfoHash& skey) { return hash("req2", skey.bytes); }
Sha1Digest req3(const Key& s) { return hash("req3", s); }

// --- Initiator ---

Initiator::Initiator(const InfoHash& skey, std::uint32_t provide, std::vector<std::uint8_t> initial_payload,
                     Random random)
    : skey_(skey), provide_(provide), ia_(std::move(initial_payload)), random_(std::move(random)) {}

std::vector<std::uint8_t> Initiator::start() {
  keys_ = make_keys(random_);
  std::vector<std::uint8_t> out(keys_.pub.begin(), keys_.pub.end());
  append_pad(out, random_);
  return out;
}

Result<bool> Initiator::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  if (stage_ == Stage::done) return fail("fed after it finished");
  buf_.insert(buf_.end(), in.begin(), in.end());
  while (true) {
    switch (stage_) {
      case Stage::key: {
        if (buf_.size() < kKeyBytes) return false;
        Key theirs{};
        std::copy_n(buf_.begin(), kKeyBytes, theirs.begin());
        consume(buf_, kKeyBytes);
        auto s = shared_secret(keys_, theirs);
        if (!s) return s.status();
        const Sha1Digest r1 = req1(*s), r2 = req2(skey_), r3 = req3(*s);
        out.insert(out.end(), r1.begin(), r1.end());
        for (std::size_t i = 0; i < r2.size(); ++i) out.push_back(r2[i] ^ r3[i]);
        enc_ = cipher("keyA", *s, skey_);
        dec_ = cipher("keyB", *s, skey_);
        std::vector<std::uint8_t> plain(kVcBytes, 0);
        put_u32(plain, provide_);
        put_u16(plain, 0);  // no PadC
        put_u16(plain, ia_.size());
        plain.insert(plain.end(), ia_.begin(), ia_.end());
        enc_->apply(plain);
        out.insert(out.end(), plain.begin(), plain.end());
        Rc4 ahead = *dec_;  // ENCRYPT(VC) as it will arrive
        ahead.apply(vc_pattern_);
        stage_ = Stage::sync;
        break;
      }
      case Stage::sync: {
        auto at = find(buf_, vc_pattern_, kMaxPad);
        if (!at) {
          if (buf_.size() >= kMaxPad + kVcBytes) return fail("no verification constant within 520 bytes");
          return false;
        }
        consume(buf_, *at);  // PadB
        dec_->apply({buf_.data(), kVcBytes});
        consume(buf_, kVcBytes);
        stage_ = Stage::select;
        break;
      }
      case Stage::select: {
        if (buf_.size() < 6) return false;
        dec_->apply({buf_.data(), 6});
        select_ = get_u32(buf_.data());
        pad_ = get_u16(buf_.data() + 4);
        consume(buf_, 6);
        if ((select_ != kPlaintext && select_ != kRc4) || (select_ & provide_) == 0) {
          return fail("the peer selected a method we did not offer (" + std::to_string(select_) + ")");
        }
        if (pad_ > kMaxPad) return fail("padding of " + std::to_string(pad_) + " bytes");
        stage_ = Stage::pad;
        break;
      }
      case Stage::pad: {
        if (buf_.size() < pad_) return false;
        dec_->apply({buf_.data(), pad_});
        consume(buf_, pad_);
        if (select_ == kRc4) dec_->apply(buf_);
        stage_ = Stage::done;
        return true;
      }
      case Stage::done:
        return true;
    }
  }
}

Established Initiator::take() { return finish(select_, skey_, std::move(buf_), dec_, enc_); }

// --- Responder ---

Responder::Responder(std::uint32_t allowed, Lookup lookup, Random random)
    : allowed_(allowed), lookup_(std::move(lookup)), random_(std::move(random)) {}

Result<bool> Responder::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  if (stage_ == Stage::done) return fail("fed after it finished");
  buf_.insert(buf_.end(), in.begin(), in.end());
  while (true) {
    switch (stage_) {
      case Stage::key: {
        if (buf_.size() < kKeyBytes) return false;
        Key theirs{};
        std::copy_n(buf_.begin(), kKeyBytes, theirs.begin());
        consume(buf_, kKeyBytes);
        keys_ = make_keys(random_);
        auto s = shared_secret(keys_, theirs);
        if (!s) return s.status();
        secret_ = *s;
        req1_ = req1(secret_);
        out.insert(out.end(), keys_.pub.begin(), keys_.pub.end());
        append_pad(out, random_);
        stage_ = Stage::sync;
        break;
      }
      case Stage::sync: {
        auto at = find(buf_, req1_, kMaxPad);
        if (!at) {
          if (buf_.size() >= kMaxPad + req1_.size()) return fail("no HASH('req1', S) within 532 bytes");
          return false;
        }
        consume(buf_, *at + req1_.size());
        stage_ = Stage::req;
        break;
      }
      case Stage::req: {
        if (buf_.size() < kSha1Size) return false;
        const Sha1Digest r3 = req3(secret_);
        Sha1Digest r2{};
        for (std::size_t i = 0; i < r2.size(); ++i) r2[i] = buf_[i] ^ r3[i];
        consume(buf_, kSha1Size);
        auto skey = lookup_ ? lookup_(r2) : std::nullopt;
        if (!skey) return fail("not one of our torrents");
        skey_ = *skey;
        dec_ = cipher("keyA", secret_, skey_);
        enc_ = cipher("keyB", secret_, skey_);
        stage_ = Stage::vc;
        break;
      }
      case Stage::vc: {
        if (buf_.size() < kVcBytes + 6) return false;
        dec_->apply({buf_.data(), kVcBytes + 6});
        if (std::any_of(buf_.begin(), buf_.begin() + kVcBytes, [](std::uint8_t b) { return b != 0; })) {
          return fail("bad verification constant");
        }
        provide_ = get_u32(buf_.data() + kVcBytes);
        pad_ = get_u16(buf_.data() + kVcBytes + 4);
        consume(buf_, kVcBytes + 6);
        if (pad_ > kMaxPad) return fail("padding of " + std::to_string(pad_) + " bytes");
        stage_ = Stage::pad;
        break;
      }
      case Stage::pad: {
        if (buf_.size() < pad_ + 2) return false;
        dec_->apply({buf_.data(), pad_ + 2});
        ia_len_ = get_u16(buf_.data() + pad_);
        consume(buf_, pad_ + 2);
        if (ia_len_ > kMaxInitialPayload) return fail("initial payload of " + std::to_string(ia_len_) + " bytes");
        stage_ = Stage::ia;
        break;
      }
      case Stage::ia: {
        if (buf_.size() < ia_len_) return false;
        dec_->apply({buf_.data(), ia_len_});
        ia_.assign(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(ia_len_));
        consume(buf_, ia_len_);
        const std::uint32_t common = provide_ & allowed_;
        select_ = (common & prefer_) ? prefer_ : (common & kRc4) ? kRc4 : (common & kPlaintext) ? kPlaintext : 0;
        if (select_ == 0) {
          return fail("no method in common (offered " + std::to_string(provide_) + ", we allow " +
                      std::to_string(allowed_) + ")");
        }
        std::vector<std::uint8_t> reply(kVcBytes, 0);
        put_u32(reply, select_);
        put_u16(reply, 0);  // no PadD
        enc_->apply(reply);
        out.insert(out.end(), reply.begin(), reply.end());
        if (select_ == kRc4) dec_->apply(buf_);
        stage_ = Stage::done;
        return true;
      }
      case Stage::done:
        return true;
    }
  }
}

Established Responder::take() {
  std::vector<std::uint8_t> payload = std::move(ia_);
  payload.insert(payload.end(), buf_.begin(), buf_.end());
  buf_.clear();
  return finish(select_, skey_, std::move(payload), dec_, enc_);
}

}  // namespace fluxo::mse
