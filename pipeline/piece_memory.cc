#include "pipeline/piece_memory.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace fluxo {
namespace {

constexpr std::size_t kAlign = 4096;

std::size_t rounded(std::size_t bytes) { return std::max(kAlign, (bytes + kAlign - 1) / kAlign * kAlign); }

std::uint8_t* allocate(std::size_t bytes) {
  // Not zeroed: pages are touched only when used.
  void* p = std::aligned_alloc(kAlign, rounded(bytes));
  if (!p) throw std::bad_alloc();
  return static_cast<std::uint8_t*>(p);
}

}  // namespace

void PieceBuffer::reset() {
  if (data_) pool_->give_back(std::exchange(data_, nullptr));
  pool_ = nullptr;
}

MemoryBudget::~MemoryBudget() {
  for (auto& [size, p] : kept_) std::free(p);
}

std::size_t MemoryBudget::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

std::size_t MemoryBudget::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

std::uint8_t* MemoryBudget::acquire(std::size_t size, bool force) {
  std::vector<std::uint8_t*> to_free;
  std::uint8_t* out = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!force && in_use_ + size > cap_) return nullptr;
    in_use_ += size;
    peak_ = std::max(peak_, in_use_);
    auto it = std::find_if(kept_.begin(), kept_.end(), [size](const auto& k) { return k.first == size; });
    if (it != kept_.end()) {
      out = it->second;
      kept_bytes_ -= size;
      *it = kept_.back();
      kept_.pop_back();
    } else {
      // Kept buffers of other sizes make room for this one.
      while (!kept_.empty() && in_use_ + kept_bytes_ > cap_) {
        kept_bytes_ -= kept_.back().first;
        to_free.push_back(kept_.back().second);
        kept_.pop_back();
      }
    }
  }
  for (auto* p : to_free) std::free(p);
  if (out) return out;
  try {
    return allocate(size);
  } catch (...) {
    std::lock_guard lock(mu_);
    in_use_ -= size;
    throw;
  }
}

void MemoryBudget::release(std::uint8_t* p, std::size_t size) {
  {
    std::lock_guard lock(mu_);
    in_use_ -= size;
    if (in_use_ + kept_bytes_ + size <= cap_) {
      kept_.emplace_back(size, p);
      kept_bytes_ += size;
      return;
    }
  }
  std::free(p);
}

PieceBuffer PiecePool::try_acquire() {
  const bool force = in_use_.load(std::memory_order_relaxed) < guaranteed_;
  std::uint8_t* p = budget_.acquire(size_, force);
  if (!p) return {};
  std::size_t n = in_use_.fetch_add(1, std::memory_order_relaxed) + 1;
  std::size_t peak = peak_.load(std::memory_order_relaxed);
  while (n > peak && !peak_.compare_exchange_weak(peak, n, std::memory_order_relaxed)) {
  }
  return PieceBuffer(this, p);
}

void PiecePool::give_back(std::uint8_t* p) {
  in_use_.fetch_sub(1, std::memory_order_relaxed);
  budget_.release(p, size_);
}

std::size_t PiecePool::cap_bytes() const { return std::max(budget_.cap(), guaranteed_ * size_); }

}  // namespace fluxo
