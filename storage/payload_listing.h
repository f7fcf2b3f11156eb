// Lists the files that `fluxo create` puts in a torrent.
//
// A regular file becomes a single-file torrent. A directory is walked
// recursively and its regular files are taken in a stable order (component
// by component, byte-wise), so the same tree always gives the same info-hash.
// Symbolic links and special files (devices, FIFOs, sockets) are skipped and
// reported: following links could pull in data from outside the tree or loop.
// A directory or file inside the payload that cannot be read is an error
// (ErrorCode::io_error, naming it), never a silently smaller torrent.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace fluxo {

struct PayloadFile {
  std::filesystem::path disk_path;     // where to read it
  std::vector<std::string> components;  // below the payload's root; empty for a single file
  std::int64_t size = 0;
  bool executable = false;  // any execute bit: recorded as BEP 47 attr 'x'
};

struct PayloadListing {
  std::string name;  // the root's file name
  bool single_file = false;
  std::vector<PayloadFile> files;
  std::int64_t total_size = 0;
  std::vector<std::string> skipped;  // "path: reason"
};

Result<PayloadListing> list_payload(const std::filesystem::path& root,
                                    std::size_t max_files = 1'000'000);

}  // namespace fluxo
