// Resume data: which pieces of a torrent are verified and on disk, and the
// state of its files when that was true. Pure encoding and checking; the
// file itself is written by storage/resume_file.
//
// Format (bencode): d4:data<inner>4:sha1<20 bytes>e, where <inner> is the
// bencoded dict { "fluxo resume": version, "info hash": 20 bytes, "pieces":
// bitfield bytes, "files": [[size, mtime_ns], ...] } and sha1 is its SHA-1.
// With only some files selected (core/file_selection.h) it also holds
// "selected": one '0' or '1' per file, and "parts": [size, mtime_ns] of the
// partial-piece area.
// Anything that does not decode, whose checksum fails, of another version,
// for another torrent or of the wrong shape is refused with a reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bitfield.h"
#include "core/metainfo.h"
#include "core/status.h"

namespace fluxo {

inline constexpr std::int64_t kResumeVersion = 1;

struct FileStamp {
  std::int64_t size = -1;      // -1: the file did not exist
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

struct ResumeData {
  InfoHash info_hash;
  Bitfield pieces;
  std::vector<FileStamp> files;  // one per metainfo file, in order
  std::vector<bool> selected{};   // one per file; empty: every file
  FileStamp parts{};              // the partial-piece area (with a selection)
};

std::string encode_resume(const ResumeData& r);
Result<ResumeData> decode_resume(std::string_view bytes, const Metainfo& meta);

}  // namespace fluxo
