#include "pipeline/buffer_pool.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace fluxo {

namespace {
constexpr std::size_t kAlign = 4096;

std::uint8_t* allocate(std::size_t bytes) {
  // Not zeroed: pages are touched only when used.
  void* p = std::aligned_alloc(kAlign, std::max(kAlign, (bytes + kAlign - 1) / kAlign * kAlign));
  if (!p) throw std::bad_alloc();
  return static_cast<std::uint8_t*>(p);
}
}  // namespace

void BufferPool::Free::operator()(std::uint8_t* p) const { std::free(p); }

BufferPool::BufferPool(std::size_t buffer_size, std::size_t count)
    : size_(buffer_size), count_(count), storage_(allocate(buffer_size * count)) {
  free_.reserve(count);
  for (std::size_t i = count; i-- > 0;) free_.push_back(storage_.get() + i * buffer_size);
}

std::uint8_t* BufferPool::try_acquire() {
  std::lock_guard lock(mu_);
  if (free_.empty()) return nullptr;
  std::uint8_t* b = free_.back();
  free_.pop_back();
  peak_ = std::max(peak_, count_ - free_.size());
  return b;
}

void BufferPool::release(std::uint8_t* buffer) {
  std::lock_guard lock(mu_);
  free_.push_back(buffer);
}

std::size_t BufferPool::in_use() const {
  std::lock_guard lock(mu_);
  return count_ - free_.size();
}

std::size_t BufferPool::peak_in_use() const {
  std::lock_guard lock(mu_);
  return peak_;
}

}  // namespace fluxo
