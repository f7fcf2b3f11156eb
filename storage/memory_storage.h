// A torrent's byte stream in memory (storage/storage.h): for tests of the
// pipeline and the engine without a disk, and for benchmarks of everything
// but the disk. Writes and reads outside [0, size) are io_errors; a write can
// be made to fail on purpose (fail_writes_from), to test how a failing disk
// is handled.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <shared_mutex>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace fluxo {

class MemoryStorage : public Storage {
 public:
  explicit MemoryStorage(std::int64_t size) : bytes_(static_cast<std::size_t>(size)) {}

  Status write(std::int64_t offset, std::span<const iovec> iov) override {
    std::size_t n = 0;
    for (const auto& v : iov) n += v.iov_len;
    if (offset < 0 || static_cast<std::size_t>(offset) + n > bytes_.size()) {
      return Status(ErrorCode::io_error, "write beyond the end of the torrent");
    }
    if (offset + static_cast<std::int64_t>(n) > fail_from_.load()) {
      return Status(ErrorCode::io_error, "disk full (MemoryStorage::fail_writes_from)");
    }
    std::unique_lock lock(mu_);
    std::size_t at = static_cast<std::size_t>(offset);
    for (const auto& v : iov) {
      std::memcpy(bytes_.data() + at, v.iov_base, v.iov_len);
      at += v.iov_len;
    }
    writes_.fetch_add(1);
    return Status::ok();
  }
  Status read(std::int64_t offset, std::span<std::uint8_t> out) override {
    if (offset < 0 || static_cast<std::size_t>(offset) + out.size() > bytes_.size()) {
      return Status(ErrorCode::io_error, "read beyond the end of the torrent");
    }
    std::shared_lock lock(mu_);
    std::memcpy(out.data(), bytes_.data() + offset, out.size());
    return Status::ok();
  }
  Status sync() override {
    syncs_.fetch_add(1);
    return Status::ok();
  }

  // Writes that reach past `offset` fail from now on.
  void fail_writes_from(std::int64_t offset) { fail_from_.store(offset); }
  // Not while writes run.
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::uint64_t writes() const { return writes_.load(); }
  std::uint64_t syncs() const { return syncs_.load(); }

 private:
  std::shared_mutex mu_;
  std::vector<std::uint8_t> bytes_;
  std::atomic<std::int64_t> fail_from_{std::numeric_limits<std::int64_t>::max()};
  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> syncs_{0};
};

}  // namespace fluxo
