// Where resume data lives and how it reaches the disk.
//
// One file per torrent: DIR/.fluxo/<info-hash hex>.resume, beside the data
// it describes. save_resume() is atomic: a temporary file in the same
// directory, fsync, rename over the old one, fsync of the directory; a crash
// leaves the old file or the new one, never a mix. The caller must have
// synced (fdatasync) the pieces it lists first.
//
// Both open DIR as the user named it and everything below it without
// following links (storage/beneath.h): a link at .fluxo, at the resume file
// or at its .tmp is an error naming the path, never followed; so is anything
// that is not a regular file where the resume file or .tmp belongs (a FIFO
// does not block: it is opened non-blocking and refused). load_resume() also
// refuses a file larger than any resume data for the torrent could be
// (max_resume_size) before reading it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/metainfo.h"
#include "core/resume.h"
#include "core/status.h"

namespace fluxo {

std::filesystem::path resume_path(const std::filesystem::path& dir, const Metainfo& meta);

// The most bytes resume data for `meta` can take, with margin: 64 KiB, plus
// the bitfield (piece_count / 8), plus 64 bytes per file (the encoder writes
// at most 45: two 64-bit integers in a list).
std::size_t max_resume_size(const Metainfo& meta);

// The size and modification time of each of the torrent's files under dir
// (size -1 for one that does not exist; pad files count as absent).
std::vector<FileStamp> stamp_files(const std::filesystem::path& dir, const Metainfo& meta);
// The same of the partial-piece area, DIR/.fluxo/<info-hash>.parts.
FileStamp stamp_parts(const std::filesystem::path& dir, const Metainfo& meta);

Status save_resume(const std::filesystem::path& dir, const Metainfo& meta, const ResumeData& data);

// Any file of DIR/.fluxo/ (resume data, a magnet's fetched metadata), saved
// atomically and loaded with the same care (no links followed, at most
// `max_size` bytes, `what` naming the content in that error; not_found when
// it is not there).
Status save_state_file(const std::filesystem::path& dir, const std::string& name, std::string_view bytes);
Result<std::string> load_state_file(const std::filesystem::path& dir, const std::string& name, std::size_t max_size,
                                    const std::string& what);

// The resume data for `meta` under dir, checked against the files as they are
// now. not_found when there is none; any other error says why it cannot be
// trusted (damaged, another torrent, another version, files changed, a link,
// not a regular file, too large, written for another selection of files or
// with a partial-piece area that changed since). `selected`: one flag per
// file, or empty for all.
Result<ResumeData> load_resume(const std::filesystem::path& dir, const Metainfo& meta,
                               const std::vector<bool>& selected = {});

}  // namespace fluxo
