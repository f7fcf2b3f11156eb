// libFuzzer target: file selection (BEP 53 so=, --select). The input is a
// torrent layout (up to 12 files, sizes and kinds from the first bytes, a
// piece length of 1..64 KiB) and an so= text (the rest). Whatever it is,
// the selection holds its invariants: the wanted pieces are exactly those
// holding a selected file's byte, and the partial-piece ranges are sorted,
// packed, disjoint, inside unselected regular files and inside wanted
// pieces, and cover every such byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/file_selection.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  using namespace fluxo;
  Metainfo m;
  m.piece_length = 1 + (std::int64_t{data[0]} << 8 | data[1]) % 65536;
  std::size_t at = 2;
  const std::size_t files = size > at ? data[at++] % 13 : 0;
  for (std::size_t i = 0; i < files && at + 3 <= size; ++i, at += 3) {
    FileEntry f;
    f.path = "t/f" + std::to_string(i);
    f.size = (std::int64_t{data[at]} << 16 | std::int64_t{data[at + 1]} << 8 | data[at + 2]) & 0x3ffff;
    f.pad = (data[at] & 0x80) != 0;
    f.symlink = !f.pad && (data[at] & 0x40) != 0;
    if (f.symlink) f.size = 0;
    f.offset = m.total_size;
    m.total_size += f.size;
    m.files.push_back(f);
  }
  if (m.files.empty() || m.total_size == 0) return 0;
  const std::int64_t pieces = (m.total_size + m.piece_length - 1) / m.piece_length;
  if (pieces > 100000) return 0;
  m.piece_hashes.assign(static_cast<std::size_t>(pieces) * kSha1Size, '\0');

  auto ranges = parse_file_ranges(std::string_view(reinterpret_cast<const char*>(data + at), size - at));
  if (!ranges) return 0;
  auto selected = select_files(m, *ranges);
  if (!selected) return 0;
  check(selected->size() == m.files.size());
  const Bitfield wanted = wanted_pieces(m, *selected);
  const bool partial = selects_less_than_all(m, *selected);
  // Per byte class: owner file of each byte, brute force over pieces.
  for (std::uint32_t p = 0; p < m.piece_count(); ++p) {
    const std::int64_t lo = std::int64_t{p} * m.piece_length, hi = lo + m.piece_size(PieceIndex(p));
    bool holds_selected = false;
    for (std::size_t i = 0; i < m.files.size(); ++i) {
      const FileEntry& f = m.files[i];
      if ((*selected)[i] && f.regular() && f.size > 0 && f.offset < hi && f.offset + f.size > lo) holds_selected = true;
    }
    check(wanted.test(PieceIndex(p)) == holds_selected);
  }
  check(bytes_of(m, wanted) <= m.total_size);
  const auto parts = partial_piece_ranges(m, *selected);
  if (!partial) check(parts.empty());
  std::int64_t packed = 0, covered = 0, prev_end = -1;
  for (const PartRange& r : parts) {
    check(r.begin < r.end && r.begin > prev_end && r.at == packed);
    packed += r.end - r.begin;
    prev_end = r.end;
    // Inside wanted pieces and inside unselected regular files, byte runs.
    for (std::int64_t b = r.begin; b < r.end; b = std::min(r.end, (b / m.piece_length + 1) * m.piece_length)) {
      check(wanted.test(PieceIndex(static_cast<std::uint32_t>(b / m.piece_length))));
    }
  }
  // Every byte of an unselected regular file inside a wanted piece is covered.
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    const FileEntry& f = m.files[i];
    if ((*selected)[i] || !f.regular() || f.size == 0) continue;
    for (std::int64_t b = f.offset; b < f.offset + f.size;) {
      const auto p = static_cast<std::uint32_t>(b / m.piece_length);
      const std::int64_t run_end = std::min(f.offset + f.size, (std::int64_t{p} + 1) * m.piece_length);
      if (wanted.test(PieceIndex(p))) {
        bool in = false;
        for (const PartRange& r : parts) in = in || (r.begin <= b && run_end <= r.end);
        check(in);
        covered += run_end - b;
      }
      b = run_end;
    }
  }
  check(covered == packed);
  return 0;
}
