#include "pipeline/swarm_state.h"

#include <algorithm>
#include <bit>

namespace fluxo {

void ActiveRegistry::add(std::shared_ptr<ActivePiece> p) {
  std::lock_guard lock(mu_);
  pieces_.push_back(std::move(p));
}

void ActiveRegistry::remove(const ActivePiece* p) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(pieces_.begin(), pieces_.end(), [p](const auto& e) { return e.get() == p; });
  if (it != pieces_.end()) {
    *it = std::move(pieces_.back());
    pieces_.pop_back();
  }
}

std::shared_ptr<ActivePiece> ActiveRegistry::find_work(const Bitfield& has, unsigned max_requests,
                                                       const std::vector<wire::BlockRef>& exclude,
                                                       const BlockSet* rejected, std::uint32_t session,
                                                       wire::BlockRef& out) {
  auto offers = [&](const std::shared_ptr<ActivePiece>& p) {
    // Outside end-game most pieces have every block asked for: skipped
    // without taking their locks.
    if (max_requests <= 1 && !p->maybe_open()) return false;
    if (!has.test(p->index())) return false;
    auto access = p->adopt(session);
    if (access == ActivePiece::Access::denied) return false;
    if (auto b = p->request_block(max_requests, exclude.empty() ? nullptr : &exclude, rejected)) {
      out = *b;
      return true;
    }
    if (access == ActivePiece::Access::adopted) p->disown(session);  // nothing for it here after all
    return false;
  };
  std::lock_guard lock(mu_);
  if (max_requests <= 1) {
    for (const auto& p : pieces_) {
      if (offers(p)) return p;
    }
    return nullptr;
  }
  // End-game (duplicates allowed): the newest pieces first, their blocks
  // are the last in their peers' queues (see request_block). Few pieces are
  // left by then, so sorting a copy is cheap.
  std::vector<std::shared_ptr<ActivePiece>> newest(pieces_);
  std::sort(newest.begin(), newest.end(), [](const auto& a, const auto& b) { return a->started() > b->started(); });
  for (const auto& p : newest) {
    if (offers(p)) return p;
  }
  return nullptr;
}

std::uint32_t ActiveRegistry::drop_source(const std::string& ip) {
  std::lock_guard lock(mu_);
  std::uint32_t n = 0;
  for (const auto& p : pieces_) n += p->drop_source(ip);
  return n;
}

std::string ActiveRegistry::debug_string() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& p : pieces_) out += p->debug_string() + " ";
  return out;
}

std::size_t ActiveRegistry::size() const {
  std::lock_guard lock(mu_);
  return pieces_.size();
}

namespace {

// Empty when every piece is wanted: the common case costs nothing.
Bitfield only_if_partial(Bitfield wanted, std::uint32_t pieces) {
  if (wanted.size() != pieces || wanted.all()) return Bitfield();
  return wanted;
}

}  // namespace

SwarmState::SwarmState(const Metainfo& m, MemoryBudget& memory, ConnectionLimits limits, std::size_t guaranteed,
                       Bitfield wanted_pieces)
    : meta(m),
      wanted(only_if_partial(std::move(wanted_pieces), m.piece_count())),
      have(m.piece_count()),
      claimed(m.piece_count()),
      single_source(m.piece_count()),
      picker(m.piece_count(), have, claimed),
      pool(memory, static_cast<std::size_t>(m.piece_length), guaranteed),
      completed(m.piece_count()),
      roster(limits) {
  wanted_bytes_ = m.total_size;
  if (wanted.size() == 0) return;
  wanted_missing_.store(wanted.count());
  wanted_bytes_ = 0;
  for (std::uint32_t i = 0; i < m.piece_count(); ++i) {
    if (wanted.test(PieceIndex(i))) {
      wanted_bytes_ += m.piece_size(PieceIndex(i));
    } else {
      claimed.set(PieceIndex(i));
    }
  }
}

bool SwarmState::add_have(PieceIndex p) {
  if (!have.set(p)) return false;
  if (wanted.size() != 0 && wanted.test(p)) wanted_missing_.fetch_sub(1, std::memory_order_acq_rel);
  return true;
}

bool SwarmState::lose_have(PieceIndex p) {
  // Counted missing before the bit goes: done() may be false a moment too
  // long, never true while a wanted piece is missing.
  const bool counted = wanted.size() != 0 && wanted.test(p);
  if (counted) wanted_missing_.fetch_add(1, std::memory_order_acq_rel);
  if (have.clear(p)) return true;
  if (counted) wanted_missing_.fetch_sub(1, std::memory_order_acq_rel);
  return false;
}

bool SwarmState::ban(const std::string& ip) {
  if (!peers.ban(ip)) return false;
  roster.drop_ip(ip);
  active.drop_source(ip);
  return true;
}

CompletionLog::~CompletionLog() {
  for (auto& s : segments_) delete[] s.load(std::memory_order_relaxed);
}

std::pair<int, std::uint64_t> CompletionLog::locate(std::uint64_t i) const {
  // Slot i is in segment k where base x (2^k - 1) <= i < base x (2^(k+1) - 1).
  std::uint64_t q = i / base_ + 1;  // 2^k <= q < 2^(k+1)
  int k = 63 - std::countl_zero(q);
  return {k, i - std::uint64_t{base_} * ((std::uint64_t{1} << k) - 1)};
}

void CompletionLog::append(PieceIndex p) {
  std::uint32_t n = size_.load(std::memory_order_relaxed);
  auto [k, off] = locate(n);
  if (k >= kSegments) return;  // unreachable in practice: 2^26 x base commits
  auto* seg = segments_[k].load(std::memory_order_acquire);
  if (seg == nullptr) {
    seg = new std::atomic<std::uint32_t>[std::uint64_t{base_} << k];
    segments_[k].store(seg, std::memory_order_release);
  }
  seg[off].store(p.value(), std::memory_order_relaxed);
  size_.store(n + 1, std::memory_order_release);
}

PieceIndex CompletionLog::at(std::uint32_t i) const {
  auto [k, off] = locate(i);
  return PieceIndex(segments_[k].load(std::memory_order_acquire)[off].load(std::memory_order_relaxed));
}

}  // namespace fluxo
