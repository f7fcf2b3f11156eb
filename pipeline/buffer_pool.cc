#include "pipeline/buffer_pool.h"

#include <algorithm>

namespace fluxo {

BufferPool::BufferPool(std::size_t buffer_size, std::size_t count)
    : size_(buffer_size), count_(count), storage_(new std::uint8_t[buffer_size * count]) {  // not zeroed: pages are touched only when used
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
