// Where resume data lives and how it reaches the disk.
//
// One file per torrent: DIR/.fluxo/<info-hash hex>.resume, beside the data
// it describes. save_resume() is atomic: a temporary file in the same
// directory, fsync, rename over the old one, fsync of the directory; a crash
// leaves the old file or the new one, never a mix. The caller must have
// synced (fdatasync) the pieces it lists first.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/metainfo.h"
#include "core/resume.h"
#include "core/status.h"

namespace fluxo {

std::filesystem::path resume_path(const std::filesystem::path& dir, const Metainfo& meta);

// The size and modification time of each of the torrent's files under dir
// (size -1 for one that does not exist; pad files count as absent).
std::vector<FileStamp> stamp_files(const std::filesystem::path& dir, const Metainfo& meta);

Status save_resume(const std::filesystem::path& dir, const Metainfo& meta, const ResumeData& data);

// The resume data for `meta` under dir, checked against the files as they are
// now. not_found when there is none; any other error says why it cannot be
// trusted (damaged, another torrent, another version, files changed).
Result<ResumeData> load_resume(const std::filesystem::path& dir, const Metainfo& meta);

}  // namespace fluxo
