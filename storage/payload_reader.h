// Reads a list of files as one continuous byte stream, the way pieces span
// them, with plain blocking read(2). Used by piece hashing in `fluxo create`.
// Not thread-safe: one reader, one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "storage/payload_listing.h"

namespace fluxo {

class PayloadReader {
 public:
  explicit PayloadReader(std::vector<PayloadFile> files);
  ~PayloadReader();
  PayloadReader(const PayloadReader&) = delete;
  PayloadReader& operator=(const PayloadReader&) = delete;

  // Fills `out` completely from the stream's current position. A file that
  // is shorter than it was when listed is an error, never silent zeros.
  Status read(std::span<std::uint8_t> out);

 private:
  Status open_current();
  std::vector<PayloadFile> files_;
  std::size_t current_ = 0;
  std::int64_t offset_in_file_ = 0;
  int fd_ = -1;
};

}  // namespace fluxo
