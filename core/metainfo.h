// BitTorrent v1 metainfo (.torrent files): BEP 3, with BEP 12 announce
// tiers, BEP 19 web seeds, BEP 27 private flag and BEP 47 attributes (pad
// files, symlinks, executable, hidden). A hybrid torrent (BEP 52 keys beside
// a complete v1 'pieces') is read through its v1 half, its v2 info-hash
// kept for display; a pure v2 torrent is refused.
//
// parse_metainfo() validates everything a hostile file could get wrong (see
// the HOSTILE.md list) and returns a self-contained value: it owns its
// strings and does not refer to the input after returning. Where libtorrent
// opens a file fluxo opens it too, cleaned up rather than refused, with a
// warning for each change (the first kMaxDetailedWarnings of them):
//   - path components "." and ".." are dropped and "" is "_", a path left
//     empty is named "_", and a torrent name left empty is the info-hash in
//     hex;
//   - two files whose paths are equal ignoring ASCII case, or a file whose
//     path is a directory of another, are told apart as libtorrent does: the
//     later file (any file, against a directory) becomes "name.N.ext" with
//     the smallest N >= 1 that is free;
//   - a pad file without a 'path' is "<name>/.pad/<length>"; a pad or
//     symlink entry without a 'length' has length 0 (a symlink always has
//     0: it holds no data);
//   - bytes after the top-level dictionary are ignored (the info-hash covers
//     only the info dictionary).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bencode.h"
#include "core/sha256.h"
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
  // BEP 47 attr 'l': a symlink, size 0, made on disk pointing at
  // `symlink_target` (sanitized, relative to the download directory, starts
  // with the torrent's name); empty when the target would leave the
  // torrent's directory ('..'), or names its root: then nothing is made.
  bool symlink = false;
  std::string symlink_target;

  // A regular file on disk (not padding, not a symlink).
  bool regular() const { return !pad && !symlink; }
};

inline constexpr std::size_t kMaxDetailedWarnings = 20;

struct Metainfo {
  InfoHash info_hash;                        // v1: trackers, peers, resume
  std::optional<Sha256Digest> info_hash_v2;  // a hybrid torrent's v2 hash (shown only)
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
  // The info dictionary's bytes as they were (what the info-hash is of):
  // served to peers that fetch metadata (BEP 9). Shared: copies are cheap.
  std::shared_ptr<const std::string> info_bytes;
  // Things that were cleaned up rather than refused, for the user to see.
  std::vector<std::string> warnings;

  std::uint32_t piece_count() const {
    return static_cast<std::uint32_t>(piece_hashes.size() / kSha1Size);
  }
  std::int64_t piece_size(PieceIndex i) const;
  Sha1Digest piece_hash(PieceIndex i) const;
};

Result<Metainfo> parse_metainfo(std::string_view bytes, const MetainfoLimits& limits = {});

// A .torrent file around an info dictionary fetched from peers (BEP 9):
// `info` as it came (its hash is the info-hash), `trackers` as announce
// (the first) and announce-list (the tiers). Not validated: parse it.
std::string torrent_file_from_info(std::string_view info, const std::vector<std::vector<std::string>>& trackers);

}  // namespace fluxo
