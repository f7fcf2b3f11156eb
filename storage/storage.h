// What the engine needs of a torrent's data: its byte stream, written and
// read at stream offsets, and made durable. FileStorage (storage/
// file_storage.h) maps it onto files beneath a download directory;
// MemoryStorage (storage/memory_storage.h) keeps it in memory, for tests of
// the pipeline and the engine classes without a disk.
//
// Thread-safety (every implementation): write() and sync() from one thread
// at a time (the pipeline's writer stage); read() from any number of
// threads at once, alongside the writer.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>

#include "core/status.h"

namespace fluxo {

class Storage {
 public:
  virtual ~Storage() = default;
  // Writes `iov` (total bytes = the span's length) at stream offset `offset`.
  virtual Status write(std::int64_t offset, std::span<const iovec> iov) = 0;
  // Reads out.size() bytes at stream offset `offset`.
  virtual Status read(std::int64_t offset, std::span<std::uint8_t> out) = 0;
  // What was written before the call is durable when it returns ok.
  virtual Status sync() = 0;
};

}  // namespace fluxo
