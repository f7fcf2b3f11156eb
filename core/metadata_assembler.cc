#include "core/metadata_assembler.h"

#include <algorithm>
#include <utility>

#include "core/metadata_message.h"
#include "core/sha1.h"

namespace fluxo {

MetadataAssembler::MetadataAssembler(InfoHash hash, std::int64_t max_size, std::chrono::milliseconds solo_stall,
                                     std::function<Clock::time_point()> clock)
    : hash_(hash), max_size_(max_size), solo_stall_(solo_stall), clock_(std::move(clock)) {}

Status MetadataAssembler::offer(PeerId peer, std::int64_t size) {
  if (size < 1 || size > max_size_) {
    return Status(ErrorCode::protocol_error, "metadata of " + std::to_string(size) + " bytes offered (the limit is " +
                                                 std::to_string(max_size_) + ")");
  }
  std::lock_guard lock(mu_);
  if (condemned_.count(peer)) return Status(ErrorCode::protocol_error, "sent metadata that failed its hash before");
  offers_[peer] = Offer{size, true};
  if (size_ == 0) restart(size);
  return Status::ok();
}

bool MetadataAssembler::size_has_live_offer(std::int64_t size) const {
  return std::any_of(offers_.begin(), offers_.end(), [&](const auto& e) {
    return e.second.live && e.second.size == size && !condemned_.count(e.first);
  });
}

void MetadataAssembler::restart(std::int64_t size) {
  size_ = size;
  const std::uint32_t n = metadata_pieces(size);
  pieces_.assign(n, {});
  asked_.assign(n, {});
  from_.assign(n, 0);
  received_ = 0;
  solo_.reset();
}

std::uint32_t MetadataAssembler::piece_length(std::uint32_t piece) const {
  const auto start = static_cast<std::int64_t>(piece) * static_cast<std::int64_t>(kMetadataPiece);
  return static_cast<std::uint32_t>(std::min<std::int64_t>(static_cast<std::int64_t>(kMetadataPiece), size_ - start));
}

std::optional<std::uint32_t> MetadataAssembler::next_request(PeerId peer) {
  std::lock_guard lock(mu_);
  if (complete_ || condemned_.count(peer)) return std::nullopt;
  auto it = offers_.find(peer);
  if (it == offers_.end() || !it->second.live) return std::nullopt;
  if (it->second.size != size_) {
    // Another size is being fetched. The smallest size a live peer offers
    // goes first: a liar that offers more than the others would hold them
    // up for as long as it takes to trickle its pieces; one that offers
    // less is found out after fewer pieces than the real metadata has.
    if (size_has_live_offer(size_) && size_ <= it->second.size) return std::nullopt;
    restart(it->second.size);
  }
  if (solo_mode_) {
    if (solo_ && *solo_ != peer) {
      if (clock_() - solo_since_ < solo_stall_) return std::nullopt;
      solo_.reset();  // it sends nothing: the turn passes
    }
    if (!solo_) {
      // A new solo turn starts from nothing: the pieces of the last one
      // are its peer's only.
      restart(size_);
      solo_ = peer;
      solo_since_ = clock_();
    }
  }
  for (std::uint32_t i = 0; i < pieces_.size(); ++i) {
    if (asked_[i].empty() && pieces_[i].empty()) {
      asked_[i].push_back(peer);
      return i;
    }
  }
  // Every piece left is asked of someone: ask a second peer too.
  for (std::uint32_t i = 0; i < pieces_.size(); ++i) {
    if (asked_[i].size() == 1 && asked_[i].front() != peer && pieces_[i].empty()) {
      asked_[i].push_back(peer);
      return i;
    }
  }
  return std::nullopt;
}

bool MetadataAssembler::asked_of(std::uint32_t piece, PeerId peer) const {
  return piece < asked_.size() && std::find(asked_[piece].begin(), asked_[piece].end(), peer) != asked_[piece].end();
}

Status MetadataAssembler::deliver(PeerId peer, std::uint32_t piece, std::int64_t total_size,
                                  std::span<const std::uint8_t> data) {
  std::lock_guard lock(mu_);
  if (complete_) return Status::ok();
  // Not (or no longer) asked of it: a late answer after another peer's, or
  // from before a restart. (Whether the peer was asked at all is its
  // connection's to check.)
  if (!asked_of(piece, peer)) return Status::ok();
  auto it = offers_.find(peer);
  if (it == offers_.end() || total_size != it->second.size) {
    return Status(ErrorCode::protocol_error, "metadata total_size " + std::to_string(total_size) +
                                                 " is not the size it offered");
  }
  if (data.size() != piece_length(piece)) {
    return Status(ErrorCode::protocol_error, "metadata piece " + std::to_string(piece) + " of " +
                                                 std::to_string(data.size()) + " bytes (should be " +
                                                 std::to_string(piece_length(piece)) + ")");
  }
  std::erase(asked_[piece], peer);
  if (!pieces_[piece].empty()) return Status::ok();  // the other peer asked was first
  pieces_[piece].assign(reinterpret_cast<const char*>(data.data()), data.size());
  from_[piece] = peer;
  if (solo_ == peer) solo_since_ = clock_();
  ++received_;
  ++accepted_;
  if (received_ < pieces_.size()) return Status::ok();
  return finish();
}

Status MetadataAssembler::finish() {
  std::string whole;
  whole.reserve(static_cast<std::size_t>(size_));
  for (const auto& p : pieces_) whole += p;
  if (sha1(whole) == hash_.bytes) {
    complete_ = true;
    info_ = std::move(whole);
    pieces_.clear();
    return Status::ok();
  }
  ++failures_;
  std::set<PeerId> senders(from_.begin(), from_.end());
  const PeerId last = from_.back();
  restart(size_);
  if (senders.size() > 1 && !solo_mode_) {
    // Somebody lied, and who cannot be told: one peer at a time from now on.
    solo_mode_ = true;
    return Status::ok();
  }
  // A lone sender (or the solo one) sent all of it: that peer lied.
  const PeerId liar = *senders.begin();
  condemned_.insert(liar);
  offers_[liar].live = false;
  if (liar == last) return Status(ErrorCode::protocol_error, "sent metadata that does not match the info-hash");
  return Status::ok();
}

void MetadataAssembler::rejected(PeerId peer, std::uint32_t piece) {
  std::lock_guard lock(mu_);
  if (piece < asked_.size()) std::erase(asked_[piece], peer);
}

void MetadataAssembler::gone(PeerId peer) {
  std::lock_guard lock(mu_);
  offers_.erase(peer);  // (a condemned peer stays in condemned_)
  for (auto& a : asked_) std::erase(a, peer);
  if (solo_ == peer) solo_.reset();  // the next solo turn starts afresh
}

bool MetadataAssembler::complete() const {
  std::lock_guard lock(mu_);
  return complete_;
}

bool MetadataAssembler::condemned(PeerId peer) const {
  std::lock_guard lock(mu_);
  return condemned_.count(peer) > 0;
}

std::string MetadataAssembler::info() const {
  std::lock_guard lock(mu_);
  return info_;
}

std::uint64_t MetadataAssembler::accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

std::uint32_t MetadataAssembler::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace fluxo
