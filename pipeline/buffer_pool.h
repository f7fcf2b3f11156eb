// A fixed number of equal-sized piece buffers: the cap on memory in flight.
// Every buffer is allocated up front, so peak memory is known and stated, and
// page-aligned, so whole pieces can be written with O_DIRECT. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace fluxo {

class BufferPool {
 public:
  BufferPool(std::size_t buffer_size, std::size_t count);
  // nullptr when every buffer is in use.
  std::uint8_t* try_acquire();
  void release(std::uint8_t* buffer);
  std::size_t capacity() const { return count_; }
  std::size_t buffer_size() const { return size_; }
  std::size_t in_use() const;
  std::size_t peak_in_use() const;

 private:
  std::size_t size_;
  std::size_t count_;
  struct Free {
    void operator()(std::uint8_t* p) const;
  };
  std::unique_ptr<std::uint8_t, Free> storage_;
  mutable std::mutex mu_;
  std::vector<std::uint8_t*> free_;  // guarded by mu_
  std::size_t peak_ = 0;             // guarded by mu_
};

}  // namespace fluxo
