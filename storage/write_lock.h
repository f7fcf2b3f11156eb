// Advisory locks that keep two fluxo runs from writing one file.
//
// One lock file per download directory, DIR/.fluxo/lock (opened beneath DIR
// without following links, as storage/beneath.h does). A writer takes, with
// non-blocking open-file-description locks (F_OFD_SETLK, write locks of one
// byte each), one range for its torrent (offset from the info-hash) and one
// for each of its files (offset from a hash of the file's path below DIR), and
// holds them until the descriptor closes. A second download of the same
// torrent, or of another torrent with a file at the same path, is refused
// before anything is written. OFD locks belong to the open file description,
// not the process: two storages in one process conflict too, and the kernel
// drops them when the process dies (kill -9 included), so no stale lock
// outlives a crash. Readers (seed, verify) take none.
//
// Limits: the same file reached through two different DIRs (a torrent in
// "out" with "sub/x" and another in "out/sub" with "x") is not detected; two
// paths whose 62-bit hashes collide would be refused as if they were one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/metainfo.h"
#include "core/status.h"
#include "storage/beneath.h"

namespace fluxo {

// Takes the torrent's and every non-pad file's lock in DIR (root_fd, named
// `shown` in errors). The locks last as long as the returned descriptor.
// io_error "<DIR>/<path> is being written by another fluxo process" (or
// "<DIR>: torrent <info-hash hex> is being downloaded there by another fluxo
// process" for the torrent) on a conflict.
Result<UniqueFd> lock_for_writing(int root_fd, const std::filesystem::path& shown,
                                  const Metainfo& meta);

// The lock file's byte offsets: torrents in [0, 2^62), files in [2^62, 2^63).
std::int64_t torrent_lock_offset(const InfoHash& hash);
std::int64_t file_lock_offset(std::string_view path);

}  // namespace fluxo
