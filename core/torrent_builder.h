// Building a v1 .torrent from a file list and piece hashes (the pure half of
// `fluxo create`; reading and hashing the files is pipeline/'s job).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fluxo {

struct TorrentSpec {
  struct File {
    std::vector<std::string> path;  // components below the torrent's name
    std::int64_t size = 0;
    std::string attr;  // BEP 47 attributes, e.g. "x" for executable; empty for none
  };
  std::string name;
  bool single_file = false;  // then files holds exactly one entry with an empty path
  std::vector<File> files;
  std::int64_t piece_length = 0;
  std::string piece_hashes;                     // 20 bytes per piece
  std::vector<std::vector<std::string>> trackers;  // tiers
  std::vector<std::string> web_seeds;
  bool is_private = false;
  std::string comment;
  std::string created_by;
  std::optional<std::int64_t> creation_date;
};

// Canonical bencode of the whole .torrent.
std::string build_torrent(const TorrentSpec& spec);

// Piece length for a payload of `total` bytes as common clients choose it: a
// power of two from 16 KiB to 16 MiB giving at most about 2000 pieces (at
// least 1000 once the payload is large enough for 16 KiB pieces to exceed that).
std::int64_t auto_piece_length(std::int64_t total);

}  // namespace fluxo
