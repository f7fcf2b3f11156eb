// Selecting files (BEP 53 so=, --select): the pieces wanted, the layout of
// the partial-piece area, storage that creates only the selected files, and
// resume data that remembers the selection.
#include "core/file_selection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/uio.h>

#include <filesystem>

#include "core/bencode_value.h"
#include "core/resume.h"
#include "storage/file_storage.h"
#include "storage/resume_file.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using bencode::Value;
namespace fs = std::filesystem;

constexpr std::int64_t kPiece = 16384;

// Five files whose boundaries fall inside pieces:
//   f0 [0, 20000)  f1 [20000, 50000)  f2 [50000, 60000)  f3 [60000, 100000)  f4 [100000, 105000)
// pieces 0..6 (the last 6696 bytes).
Metainfo five_files() {
  Value::List files;
  const std::int64_t sizes[] = {20000, 30000, 10000, 40000, 5000};
  for (int i = 0; i < 5; ++i) {
    files.push_back(Value::Dict{{"length", sizes[i]}, {"path", Value::List{"f" + std::to_string(i)}}});
  }
  Value::Dict info{{"name", "t"}, {"piece length", kPiece}, {"pieces", std::string(7 * 20, 'h')}, {"files", files}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  EXPECT_TRUE(m) << m.status().to_string();
  return *m;
}

std::vector<bool> choose(const Metainfo& m, const std::string& text) {
  auto ranges = parse_file_ranges(text);
  EXPECT_TRUE(ranges) << ranges.status().to_string();
  auto sel = select_files(m, *ranges);
  EXPECT_TRUE(sel) << sel.status().to_string();
  return *sel;
}

std::string pattern(std::size_t n, std::size_t from = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (from + i) % 23);
  return s;
}

// Storage for files 1 and 3 of five_files() in `dir`, with the wanted
// pieces (1..6) written as the pipeline writes them and synced.
std::unique_ptr<FileStorage> selective_storage_with_data(const test::TempDir& dir, const Metainfo& m,
                                                         const std::vector<bool>& sel, const std::string& data) {
  StorageOptions o;
  o.selected = sel;
  auto st = FileStorage::open(m, dir.path(), o);
  EXPECT_TRUE(st) << st.status().to_string();
  if (!st) return nullptr;
  std::string tail = data.substr(kPiece);
  iovec iov{tail.data(), tail.size()};
  EXPECT_TRUE((*st)->write(kPiece, {&iov, 1}));
  EXPECT_TRUE((*st)->sync());
  return std::move(*st);
}

TEST(FileSelection, ParsesIndicesAndRangesAndRefusesTheRest) {
  auto r = parse_file_ranges("0,2,4-6");
  ASSERT_TRUE(r);
  EXPECT_THAT(*r, ::testing::ElementsAre(std::pair(0u, 0u), std::pair(2u, 2u), std::pair(4u, 6u)));
  for (const char* bad : {"", "a", "5-2", "1,,2", "1-", "-1", "3,", "99999999999"}) {
    EXPECT_FALSE(parse_file_ranges(bad)) << bad;
  }
  EXPECT_FALSE(parse_file_ranges("0,1,2", 10'000'000, 2));  // too many ranges
}

TEST(FileSelection, AnIndexBeyondTheFilesIsAnErrorNamingIt) {
  const Metainfo m = five_files();
  auto ranges = parse_file_ranges("1,3-7");
  ASSERT_TRUE(ranges);
  auto sel = select_files(m, *ranges);
  ASSERT_FALSE(sel);
  EXPECT_THAT(sel.status().message(), ::testing::HasSubstr("file 5"));
  EXPECT_THAT(sel.status().message(), ::testing::HasSubstr("5 file(s)"));
}

// A hostile so= repeats and overlaps ranges (up to 500 of them): the same
// flags as the union, in one pass over the files.
TEST(FileSelection, OverlappingAndRepeatedRangesSelectTheirUnion) {
  const Metainfo m = five_files();
  FileRanges many(499, {0, 1});
  many.push_back({3, 3});
  auto sel = select_files(m, many);
  ASSERT_TRUE(sel);
  EXPECT_EQ(*sel, (std::vector<bool>{true, true, false, true, false}));
  auto shuffled = select_files(m, FileRanges{{3, 4}, {0, 0}, {1, 3}});
  ASSERT_TRUE(shuffled);
  EXPECT_EQ(*shuffled, std::vector<bool>(5, true));
}

TEST(FileSelection, WantsThePiecesOfSelectedFilesAndKeepsTheirNeighboursBytesApart) {
  const Metainfo m = five_files();
  const auto sel = choose(m, "1,3");
  EXPECT_TRUE(selects_less_than_all(m, sel));
  const Bitfield wanted = wanted_pieces(m, sel);
  for (std::uint32_t p = 0; p < 7; ++p) EXPECT_EQ(wanted.test(PieceIndex(p)), p != 0) << p;
  EXPECT_EQ(bytes_of(m, wanted), 105000 - kPiece);
  // f0's bytes in piece 1, all of f2 (inside piece 3), all of f4 (piece 6).
  EXPECT_THAT(partial_piece_ranges(m, sel),
              ::testing::ElementsAre(PartRange{16384, 20000, 0}, PartRange{50000, 60000, 3616},
                                     PartRange{100000, 105000, 13616}));
  // Everything selected: every piece, no partial area.
  const auto all = choose(m, "0-4");
  EXPECT_FALSE(selects_less_than_all(m, all));
  EXPECT_TRUE(wanted_pieces(m, all).all());
  EXPECT_TRUE(partial_piece_ranges(m, all).empty());
}

TEST(FileSelection, SelectionsCompareByTheFilesThatHoldData) {
  Value::List files{Value::Dict{{"length", 100}, {"path", Value::List{"a"}}},
                    Value::Dict{{"length", 0}, {"path", Value::List{"empty"}}},
                    Value::Dict{{"length", 16284}, {"path", Value::List{".pad", "16284"}}, {"attr", "p"}},
                    Value::Dict{{"length", 100}, {"path", Value::List{"b"}}}};
  Value::Dict info{{"name", "t"}, {"piece length", kPiece}, {"pieces", std::string(2 * 20, 'h')}, {"files", files}};
  auto m = parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
  ASSERT_TRUE(m) << m.status().to_string();
  ASSERT_EQ(m->files.size(), 4u);
  // The empty file and the pad do not make two selections differ.
  EXPECT_TRUE(same_selection(*m, {true, false, false, false}, {true, true, true, false}));
  EXPECT_FALSE(same_selection(*m, {true, false, false, false}, {true, false, false, true}));
  // Everything with data chosen is the same as no selection.
  EXPECT_TRUE(same_selection(*m, {}, {true, false, false, true}));
  EXPECT_FALSE(selects_less_than_all(*m, {true, false, false, true}));
  EXPECT_TRUE(selects_less_than_all(*m, {false, true, true, true}));
}

TEST(FileSelection, StorageCreatesOnlySelectedFilesAndKeepsSharedBytesInThePartsArea) {
  test::TempDir dir;
  const Metainfo m = five_files();
  const auto sel = choose(m, "1,3");
  const std::string data = pattern(105000);
  const std::string tail = data.substr(kPiece);
  auto st = selective_storage_with_data(dir, m, sel, data);
  ASSERT_TRUE(st);
  EXPECT_EQ(test::read_file(dir / "t/f1"), data.substr(20000, 30000));
  EXPECT_EQ(test::read_file(dir / "t/f3"), data.substr(60000, 40000));
  for (const char* absent : {"t/f0", "t/f2", "t/f4"}) EXPECT_FALSE(fs::exists(dir / absent)) << absent;
  const fs::path parts = dir / (".fluxo/" + m.info_hash.hex() + ".parts");
  EXPECT_EQ(st->parts_path(), parts);
  EXPECT_EQ(test::read_file(parts), data.substr(16384, 3616) + data.substr(50000, 10000) + data.substr(100000, 5000));
  // Read back whole, across every boundary.
  std::string back(tail.size(), '\0');
  ASSERT_TRUE(st->read(kPiece, {reinterpret_cast<std::uint8_t*>(back.data()), back.size()}));
  EXPECT_EQ(back, tail);
  // Bytes of no wanted piece are neither read nor written.
  std::string head(100, '\0');
  auto r = st->read(0, {reinterpret_cast<std::uint8_t*>(head.data()), head.size()});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.message(), ::testing::HasSubstr("not selected"));
  iovec h{head.data(), head.size()};
  EXPECT_FALSE(st->write(0, {&h, 1}));
  EXPECT_FALSE(fs::exists(dir / "t/f0"));
}

// The partial-piece area is opened beneath DIR like any file: a link planted
// at its path is refused, never followed, and its target is untouched.
TEST(FileSelection, ALinkPlantedAtThePartsFileIsNeverFollowed) {
  test::TempDir dir;
  const Metainfo m = five_files();
  StorageOptions o;
  o.selected = choose(m, "1,3");
  auto st = FileStorage::open(m, dir.path(), o);
  ASSERT_TRUE(st) << st.status().to_string();
  test::write_file(dir / "victim", "keep me");
  fs::create_symlink(dir / "victim", (*st)->parts_path());
  std::string tail = pattern(105000).substr(kPiece);
  iovec iov{tail.data(), tail.size()};
  auto w = (*st)->write(kPiece, {&iov, 1});
  ASSERT_FALSE(w);
  EXPECT_THAT(w.message(), ::testing::HasSubstr("symbolic link"));
  EXPECT_EQ(test::read_file(dir / "victim"), "keep me");
}

TEST(FileSelection, ResumeDataHoldsOnlyForTheSelectionItWasWrittenFor) {
  test::TempDir dir;
  const Metainfo m = five_files();
  const auto sel = choose(m, "1,3");
  auto st = selective_storage_with_data(dir, m, sel, pattern(105000));
  ASSERT_TRUE(st);
  ResumeData r;
  r.info_hash = m.info_hash;
  r.pieces = wanted_pieces(m, sel);
  r.files = stamp_files(dir.path(), m);
  r.selected = sel;
  r.parts = stamp_parts(dir.path(), m);
  ASSERT_TRUE(save_resume(dir.path(), m, r));

  auto same = load_resume(dir.path(), m, sel);
  ASSERT_TRUE(same) << same.status().to_string();
  EXPECT_EQ(same->pieces.count(), 6u);
  EXPECT_EQ(same->selected, sel);
  auto other = load_resume(dir.path(), m, choose(m, "1"));
  ASSERT_FALSE(other);
  EXPECT_THAT(other.status().message(), ::testing::HasSubstr("another selection"));
  EXPECT_FALSE(load_resume(dir.path(), m));  // every file now: a recheck
  // The partial-piece area changed behind our back: not trusted.
  test::write_file(st->parts_path().string(), "changed");
  auto changed = load_resume(dir.path(), m, sel);
  ASSERT_FALSE(changed);
  EXPECT_THAT(changed.status().message(), ::testing::HasSubstr("partial pieces changed"));
}

}  // namespace
}  // namespace fluxo
