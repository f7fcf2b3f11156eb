// Reading a .torrent from disk with a size bound checked before reading.
#pragma once

#include <string>

#include "core/metainfo.h"
#include "core/status.h"

namespace fluxo::cli {

Result<std::string> read_small_file(const std::string& path, std::size_t max_size);
// Reads and validates a .torrent; errors name the file.
Result<Metainfo> load_torrent_file(const std::string& path, const MetainfoLimits& limits = {});
// Writes `data` to `path` through a temporary file in the same directory and
// a rename, so a reader never sees a half-written file.
Status write_file_atomically(const std::string& path, std::string_view data);

}  // namespace fluxo::cli
