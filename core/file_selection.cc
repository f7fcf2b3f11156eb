#include "core/file_selection.h"

#include <algorithm>
#include <charconv>

namespace fluxo {
namespace {

bool parse_u32(std::string_view s, std::uint32_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool holds_data(const FileEntry& f) { return f.regular() && f.size > 0; }

}  // namespace

Result<FileRanges> parse_file_ranges(std::string_view text, std::uint32_t max_index, std::size_t max_ranges) {
  FileRanges out;
  if (text.empty()) return Status(ErrorCode::invalid_argument, "no file index given");
  while (true) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const auto dash = item.find('-');
    std::uint32_t lo = 0, hi = 0;
    const bool ok = dash == std::string_view::npos
                        ? parse_u32(item, lo) && (hi = lo, true)
                        : parse_u32(item.substr(0, dash), lo) && parse_u32(item.substr(dash + 1), hi);
    if (!ok || lo > hi || hi > max_index) {
      return Status(ErrorCode::invalid_argument, "\"" + std::string(item) + "\" is not a file index or range");
    }
    if (out.size() >= max_ranges) return Status(ErrorCode::invalid_argument, "too many ranges");
    out.emplace_back(lo, hi);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

Result<std::vector<bool>> select_files(const Metainfo& m, const FileRanges& ranges) {
  const auto n = static_cast<std::uint32_t>(m.files.size());
  std::vector<bool> selected(m.files.size(), ranges.empty());
  // Sorted and merged first: hundreds of ranges over a million files (a
  // hostile so=) cost one pass over the files, not one per range.
  FileRanges sorted = ranges;
  std::sort(sorted.begin(), sorted.end());
  std::uint32_t next = 0;  // files below this are marked already
  for (const auto& [lo, hi] : sorted) {
    if (hi >= n) {
      return Status(ErrorCode::invalid_argument, "file " + std::to_string(std::max(lo, n)) + " is selected but " +
                                                     m.name + " has " + std::to_string(n) + " file(s), numbered from 0");
    }
    for (std::uint32_t i = std::max(lo, next); i <= hi; ++i) selected[i] = true;
    next = std::max(next, hi + 1);
  }
  return selected;
}

bool selects_less_than_all(const Metainfo& m, const std::vector<bool>& selected) {
  if (selected.empty()) return false;
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    if (holds_data(m.files[i]) && !selected[i]) return true;
  }
  return false;
}

bool same_selection(const Metainfo& m, const std::vector<bool>& a, const std::vector<bool>& b) {
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    if (!holds_data(m.files[i])) continue;
    const bool in_a = a.empty() || (i < a.size() && a[i]);
    const bool in_b = b.empty() || (i < b.size() && b[i]);
    if (in_a != in_b) return false;
  }
  return true;
}

Bitfield wanted_pieces(const Metainfo& m, const std::vector<bool>& selected) {
  Bitfield wanted(m.piece_count());
  if (selected.empty()) {
    wanted.set_all();
    return wanted;
  }
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    const FileEntry& f = m.files[i];
    if (!selected[i] || !holds_data(f)) continue;
    const auto first = static_cast<std::uint32_t>(f.offset / m.piece_length);
    const auto last = static_cast<std::uint32_t>((f.offset + f.size - 1) / m.piece_length);
    for (std::uint32_t p = first; p <= last; ++p) wanted.set(PieceIndex(p));
  }
  return wanted;
}

std::int64_t bytes_of(const Metainfo& m, const Bitfield& wanted) {
  std::int64_t total = 0;
  for (std::uint32_t i = 0; i < m.piece_count() && i < wanted.size(); ++i) {
    if (wanted.test(PieceIndex(i))) total += m.piece_size(PieceIndex(i));
  }
  return total;
}

std::vector<PartRange> partial_piece_ranges(const Metainfo& m, const std::vector<bool>& selected) {
  std::vector<PartRange> out;
  if (!selects_less_than_all(m, selected)) return out;
  const Bitfield wanted = wanted_pieces(m, selected);
  std::int64_t at = 0;
  auto add = [&](std::int64_t begin, std::int64_t end) {
    if (begin >= end) return;
    if (!out.empty() && out.back().end == begin) {
      out.back().end = end;
    } else {
      out.push_back({begin, end, at});
    }
    at += end - begin;
  };
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    const FileEntry& f = m.files[i];
    if (selected[i] || !holds_data(f)) continue;
    // Only a file's first and last pieces can be shared with another file:
    // every piece between lies wholly inside it, and so is not wanted.
    const std::int64_t end = f.offset + f.size;
    const auto first = static_cast<std::uint32_t>(f.offset / m.piece_length);
    const auto last = static_cast<std::uint32_t>((end - 1) / m.piece_length);
    const std::int64_t first_end = std::min(end, (std::int64_t{first} + 1) * m.piece_length);
    if (wanted.test(PieceIndex(first))) add(f.offset, first_end);
    if (last != first && wanted.test(PieceIndex(last))) add(std::int64_t{last} * m.piece_length, end);
  }
  return out;
}

}  // namespace fluxo
