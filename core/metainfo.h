// BitTorrent v1 metainfo (.torrent files): BEP 3, with BEP 12 announce
// tiers, BEP 19 web seeds, BEP 27 private flag and BEP 47 pad files.
// BitTorrent v2 and hybrid torrents (BEP 52) are recognised and refused.
//
// parse_metainfo() validates everything a hostile file could get wrong (see
// the HOSTILE.md list) and returns a self-contained value: it owns its
// strings and does not refer to the input after returning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bencode.h"
#include "core/status.h"
#include "core/types.h"

namespace fluxo {

struct MetainfoLimits {
  bencode::Limits bencode{};
  std::size_t max_files = 1'000'000;
  std::int64_t min_piece_length = 1024;
  std::int64_t max_piece_length = std::int64_t{256} << 20;
  std::size_t max_trackers = 1000;
  std::size_t max_path_components = 256;
};

struct FileEntry {
  // Sanitized, '/'-separated, relative to the download directory; for a
  // multi-file torrent it starts with the torrent's name.
  std::string path;
  std::int64_t size = 0;
  std::int64_t offset = 0;  // of the file's first byte in the torrent's byte stream
  bool pad = false;         // BEP 47 padding: zeros, never written to disk
  bool executable = false;  // BEP 47 attr 'x'
  bool hidden = false;      // BEP 47 attr 'h'
};

struct Metainfo {
  InfoHash info_hash;
  std::string name;  // sanitized
  std::int64_t piece_length = 0;
  std::string piece_hashes;  // 20 bytes per piece, in order
  std::vector<FileEntry> files;
  std::int64_t total_size = 0;
  bool multi_file = false;
  bool is_private = false;
  std::vector<std::vector<std::string>> trackers;  // tiers (BEP 12)
  std::vector<std::string> web_seeds;              // url-list (BEP 19)
  std::optional<std::int64_t> creation_date;
  std::string comment;
  std::string created_by;
  // Things that were cleaned up rather than refused, for the user to see.
  std::vector<std::string> warnings;

  std::uint32_t piece_count() const {
    return static_cast<std::uint32_t>(piece_hashes.size() / kSha1Size);
  }
  std::int64_t piece_size(PieceIndex i) const;
  Sha1Digest piece_hash(PieceIndex i) const;
};

Result<Metainfo> parse_metainfo(std::string_view bytes, const MetainfoLimits& limits = {});

}  // namespace fluxo
