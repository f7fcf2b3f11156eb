// Selecting some of a torrent's files (BEP 53's `so=`, `--select`): which
// files, which pieces that makes wanted, and where the bytes of unselected
// files that share a wanted piece are kept.
//
// A wanted piece is one that holds a byte of a selected file. Such a piece
// may straddle a boundary into a file that is not selected: its bytes there
// must be fetched (the piece is hashed whole) but that file is not created.
// They go to a partial-piece area (storage/file_storage.h keeps it in
// DIR/.fluxo/<info-hash>.parts), laid out by partial_piece_ranges(): each run
// of such bytes, in stream order, packed one after the other. The layout is a
// pure function of the torrent and the selection, so a resumed run with the
// same selection finds its bytes where it left them (resume data records the
// selection; another selection means a recheck).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bitfield.h"
#include "core/metainfo.h"
#include "core/status.h"

namespace fluxo {

// Inclusive ranges of file indices, as BEP 53 writes them ("0,2,4-6").
using FileRanges = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

// Parses "0,2,4-6" (indices up to max_index, at most max_ranges ranges).
// Errors name the item at fault.
Result<FileRanges> parse_file_ranges(std::string_view text, std::uint32_t max_index = 10'000'000,
                                     std::size_t max_ranges = 500);

// One flag per file of `m` (files.size()): whether it is selected. Empty
// ranges select every file. An index beyond the torrent's files is an
// error naming it (a selection that silently fetches less than asked is
// worse than none).
Result<std::vector<bool>> select_files(const Metainfo& m, const FileRanges& ranges);

// Whether `selected` leaves out any file that holds data (pad files and
// empty files do not count).
bool selects_less_than_all(const Metainfo& m, const std::vector<bool>& selected);

// Whether two selections (empty: all) choose the same files among those that
// hold data (pad, empty and symlink entries do not count).
bool same_selection(const Metainfo& m, const std::vector<bool>& a, const std::vector<bool>& b);

// The pieces that hold a byte of a selected regular file (every piece for
// an empty `selected`).
Bitfield wanted_pieces(const Metainfo& m, const std::vector<bool>& selected);

// Total bytes of the pieces in `wanted`.
std::int64_t bytes_of(const Metainfo& m, const Bitfield& wanted);

// A run of the byte stream kept in the partial-piece area: stream bytes
// [begin, end) at area offset `at`.
struct PartRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t at = 0;
  bool operator==(const PartRange&) const = default;
};

// The bytes of unselected regular files that lie in wanted pieces, in stream
// order, packed from area offset 0. Empty when everything is selected.
std::vector<PartRange> partial_piece_ranges(const Metainfo& m, const std::vector<bool>& selected);

}  // namespace fluxo
