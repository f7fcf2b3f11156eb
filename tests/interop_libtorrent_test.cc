// Interoperability of the torrent formats with real clients: libtorrent-rasterbar
// (through Debian's python3-libtorrent) and aria2c. Both ways: torrents that
// libtorrent makes parse here to its info-hash and file list, and torrents
// fluxo makes load there with the same info-hash.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "core/metainfo.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using test::run_process;
using test::TempDir;

const std::string kPython = "/usr/bin/python3";
const std::string kLtTool = FLUXO_SOURCE_DIR "/tests/interop/lt_tool.py";

struct LtView {
  std::string info_hash;
  std::vector<std::pair<std::string, std::int64_t>> files;  // pad files excluded
  std::int64_t total_size = 0;
  int num_pieces = 0;
};

LtView lt_load(const std::string& torrent) {
  auto r = run_process({kPython, kLtTool, "load", torrent});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  LtView v;
  if (r.exit_code != 0) return v;
  auto obj = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  v.info_hash = obj->getValue<std::string>("info_hash");
  v.total_size = obj->getValue<std::int64_t>("total_size");
  v.num_pieces = obj->getValue<int>("num_pieces");
  auto files = obj->getArray("files");
  for (std::size_t i = 0; i < files->size(); ++i) {
    auto f = files->getObject(static_cast<unsigned>(i));
    if (f->getValue<bool>("pad")) continue;
    v.files.emplace_back(f->getValue<std::string>("path"), f->getValue<std::int64_t>("size"));
  }
  return v;
}

std::string lt_make(const std::string& root, const std::string& out, std::int64_t piece) {
  auto r = run_process({kPython, kLtTool, "make", root, out, std::to_string(piece)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, r.out.find('\n'));
}

std::vector<std::pair<std::string, std::int64_t>> our_files(const Metainfo& m) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& f : m.files) {
    if (!f.pad) out.emplace_back(f.path, f.size);
  }
  return out;
}

Metainfo parse_file(const std::string& path) {
  auto m = parse_metainfo(test::read_file(path));
  EXPECT_TRUE(m) << path << ": " << m.status().to_string();
  return m ? std::move(*m) : Metainfo{};
}

class Payloads : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_random_file(dir_ / "single/odd.bin", 1'234'567, 11);
    std::string multi = dir_ / "multi/set";
    test::write_random_file(multi + "/a.bin", 100'001, 12);
    test::write_file(multi + "/empty-1", "");
    test::write_random_file(multi + "/nested/deeper/c.dat", 65'537, 13);
    test::write_file(multi + "/nested/empty-2", "");
    test::write_random_file(multi + "/z.txt", 1, 14);
    test::write_random_file(multi + "/B upper.bin", 40'000, 15);
  }
  TempDir dir_;
};

TEST_F(Payloads, LibtorrentTorrentsParseToLibtorrentsInfoHashAndFiles) {
  struct Case { std::string root; std::int64_t piece; };
  for (const Case& c : {Case{dir_ / "single/odd.bin", 16384}, Case{dir_ / "single/odd.bin", 65536},
                        Case{dir_ / "multi/set", 16384}, Case{dir_ / "multi/set", 32768}}) {
    std::string out = dir_ / "lt.torrent";
    std::string lt_hash = lt_make(c.root, out, c.piece);
    Metainfo m = parse_file(out);
    LtView lt = lt_load(out);
    EXPECT_EQ(m.info_hash.hex(), lt_hash) << c.root;
    EXPECT_EQ(m.info_hash.hex(), lt.info_hash);
    EXPECT_EQ(our_files(m), lt.files) << c.root;
    EXPECT_EQ(m.total_size, lt.total_size);
    EXPECT_EQ(static_cast<int>(m.piece_count()), lt.num_pieces);
  }
}

TEST_F(Payloads, FluxoTorrentsLoadInLibtorrentWithTheSameInfoHash) {
  for (const std::string& root : {dir_ / "single/odd.bin", dir_ / "multi/set"}) {
    for (std::int64_t piece : {16384, 262144}) {
      std::string ours = dir_ / "fluxo.torrent";
      std::string theirs = dir_ / "lt.torrent";
      auto r = run_process({FLUXO_BINARY, "create", root, "-o", ours, "--piece-size",
                            std::to_string(piece), "--force", "-q"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      Metainfo m = parse_file(ours);
      LtView lt = lt_load(ours);
      EXPECT_EQ(lt.info_hash, m.info_hash.hex()) << root;
      EXPECT_EQ(lt.files, our_files(m));
      // Same files and piece size: libtorrent's own torrent has our info-hash.
      EXPECT_EQ(lt_make(root, theirs, piece), m.info_hash.hex()) << root << " " << piece;
    }
  }
}

TEST_F(Payloads, FluxoTorrentsLoadInAria2) {
  std::string ours = dir_ / "fluxo.torrent";
  auto r = run_process({FLUXO_BINARY, "create", dir_ / "multi/set", "-o", ours, "-t",
                        "http://127.0.0.1:6969/announce", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Metainfo m = parse_file(ours);
  auto a = run_process({"aria2c", "--show-files=true", ours});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("Info Hash: " + m.info_hash.hex()), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("set/nested/deeper/c.dat"), std::string::npos) << a.out;
}

}  // namespace
}  // namespace fluxo
