// Reading a .torrent from disk with a size bound checked before reading.
#pragma once

#include <string>

#include "core/metainfo.h"
#include "core/status.h"

namespace fluxo::cli {

Result<std::string> read_small_file(const std::string& path, std::size_t max_size);
// Reads and validates a .torrent; errors name the file.
Result<Metainfo> load_torrent_file(const std::string& path, const MetainfoLimits& limits = {});
// Ok when `path` does not exist or is a regular file (or a symbolic link to
// one, which the rename below replaces: the file it points to is not
// touched). A device, FIFO, socket or directory, or a link to one, is an
// io_error naming what it is: renaming over it would replace /dev/full with
// a file, and writing into a FIFO would block.
Status check_output_is_replaceable(const std::string& path);
// Writes `data` to `path` through a temporary file in the same directory and
// a rename, so a reader never sees a half-written file. Refuses what
// check_output_is_replaceable refuses, leaving it as it was.
Status write_file_atomically(const std::string& path, std::string_view data);

}  // namespace fluxo::cli
