// Torrents fluxo used to refuse and libtorrent opens (issue: compatibility),
// fetched from real libtorrent seeders byte for byte: a hybrid v1/v2
// torrent made by python3-libtorrent with its default flags (pad files
// included), and a torrent of colliding, climbing and empty names, pad
// files and symlinks, laid out on disk as libtorrent lays it out. Each test
// has its own 127.0.92.x / 127.0.93.x addresses.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "core/bencode_value.h"
#include "core/sha1.h"
#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;
namespace fs = std::filesystem;
using bencode::Value;

class CompatTest : public SwarmTest {
 protected:
  // libtorrent's own names for a torrent's files (pad files left out: it
  // names them outside the torrent's directory and never makes them).
  std::vector<std::string> libtorrent_paths(const std::string& torrent) {
    auto r = run_process({kPython, "-c",
                          "import libtorrent as lt, sys\n"
                          "fs = lt.torrent_info(sys.argv[1]).files()\n"
                          "for i in range(fs.num_files()):\n"
                          "    if not int(fs.file_flags(i)) & 1: print(fs.file_path(i))\n",
                          torrent});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
};

TEST_F(CompatTest, HybridTorrentMadeByLibtorrentIsFetchedThroughItsV1Half) {
  write_random_file(path("data/hybrid/one.bin"), 100'000, 1);
  write_random_file(path("data/hybrid/sub/two.bin"), 30'001, 2);
  write_random_file(path("data/hybrid/three.bin"), 77'777, 3);
  const std::string torrent = path("hybrid.torrent");
  // create_torrent's default flags make a hybrid (v1 + v2, pad files
  // aligning each file to a piece).
  auto made = run_process({kPython, "-c",
                           "import libtorrent as lt, sys, os\n"
                           "fs = lt.file_storage(); lt.add_files(fs, sys.argv[1])\n"
                           "ct = lt.create_torrent(fs); lt.set_piece_hashes(ct, os.path.dirname(sys.argv[1]))\n"
                           "open(sys.argv[2], 'wb').write(lt.bencode(ct.generate()))\n"
                           "h = lt.torrent_info(sys.argv[2]).info_hashes()\n"
                           "print(h.v1, h.v2)\n",
                           path("data/hybrid"), torrent});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::istringstream hashes(made.out);
  std::string v1, v2;
  hashes >> v1 >> v2;
  auto m = parse_metainfo(read_file(torrent));
  ASSERT_TRUE(m) << m.status().to_string();
  ASSERT_TRUE(m->info_hash_v2);
  EXPECT_EQ(m->info_hash.hex(), v1);
  EXPECT_EQ(to_hex(*m->info_hash_v2), v2);
  int pads = 0;
  for (const auto& f : m->files) pads += f.pad;
  EXPECT_GE(pads, 2) << "not the hybrid with pad files this test is about";

  auto seeders = lt_seeders(torrent, 2, "127.0.92.");
  auto r = download(torrent, {"--peer", "127.0.92.1:6881", "--peer", "127.0.92.2:6881"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(path("data/hybrid"), path("out/hybrid"));
  EXPECT_FALSE(fs::exists(path("out/hybrid/.pad"))) << "a pad file was made";
  // fluxo info shows both hashes.
  auto info = run_process({FLUXO_BINARY, "info", torrent, "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("\"info_hash_v2\":\"" + v2 + "\""), std::string::npos) << info.out;

  // And fluxo serves it: a libtorrent leecher's pieces that straddle pad
  // files are answered with the pads' zeros.
  auto seeder = fluxo_seeder(torrent, "127.0.92.10", 7270);
  auto lt = run_process({kPython, kSrc + "/tools/lt_swarm.py", "leech", torrent, path("lt-out"), "--ip",
                         "127.0.92.11", "--peer", "127.0.92.10:7270", "--timeout", "60"});
  ASSERT_EQ(lt.exit_code, 0) << lt.out << lt.err << seeder->output();
  expect_same_tree(path("data/hybrid"), path("lt-out/hybrid"));
}

// The piece hashes of `files` (data, or zeros for a pad, nothing for a link).
std::string hash_stream(const std::vector<std::string>& parts, std::int64_t piece) {
  std::string stream;
  for (const auto& p : parts) stream += p;
  std::string out;
  for (std::size_t at = 0; at < stream.size(); at += static_cast<std::size_t>(piece)) {
    auto d = sha1(std::string_view(stream).substr(at, static_cast<std::size_t>(piece)));
    out.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  return out;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

TEST_F(CompatTest, CollidingAndUnsafeNamesPadsAndLinksAreLaidOutAsLibtorrentLaysThemOut) {
  struct Entry {
    Value::List path;
    std::string data;
    std::string attr;
    Value::List target;
  };
  const std::vector<Entry> entries{
      {{"a.txt"}, random_bytes(20'000, 1), "", {}},
      {{"A.txt"}, random_bytes(5'000, 2), "", {}},  // equal ignoring case
      {{"a.txt"}, random_bytes(17'000, 3), "", {}},
      {{}, std::string(1'234, '\0'), "p", {}},  // a pad without a path
      {{"d"}, random_bytes(3'000, 4), "", {}},  // a file named like the directory below
      {{"d", "x"}, random_bytes(9'999, 5), "", {}},
      {{"link"}, "", "l", {"d", "x"}},
      {{"escape"}, "", "l", {"..", "..", "etc", "passwd"}},
      {{"..", "up.bin"}, random_bytes(4'000, 6), "", {}},
      {{""}, random_bytes(100, 7), "", {}},
  };
  Value::List files;
  std::vector<std::string> stream;
  for (const auto& e : entries) {
    Value::Dict d{{"length", static_cast<std::int64_t>(e.data.size())}};
    if (!e.path.empty()) d["path"] = e.path;
    if (!e.attr.empty()) d["attr"] = e.attr;
    if (!e.target.empty()) d["symlink path"] = e.target;
    files.emplace_back(std::move(d));
    stream.push_back(e.data);
  }
  const std::int64_t piece = 16384;
  Value::Dict info{{"name", "coll"}, {"piece length", piece}, {"pieces", hash_stream(stream, piece)},
                   {"files", std::move(files)}};
  const std::string torrent = path("coll.torrent");
  write_file(torrent, bencode::encode(Value(Value::Dict{{"info", std::move(info)}})));
  auto m = parse_metainfo(read_file(torrent));
  ASSERT_TRUE(m) << m.status().to_string();

  const std::vector<std::string> expected{"coll/a.txt", "coll/A.1.txt", "coll/a.2.txt", "coll/d.1", "coll/d/x",
                                          "coll/link",  "coll/escape",  "coll/up.bin",  "coll/_"};
  std::vector<std::string> ours;
  for (const auto& f : m->files) {
    if (!f.pad) ours.push_back(f.path);
  }
  EXPECT_EQ(ours, expected);
  EXPECT_EQ(libtorrent_paths(torrent), expected);

  // The seeder's copy, where libtorrent looks for it (it only finds it if
  // its names are ours).
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (m->files[i].regular()) write_file(path("data/" + m->files[i].path), entries[i].data);
  }
  auto seeder = lt_seeders(torrent, 1, "127.0.93.");
  auto r = download(torrent, {"--peer", "127.0.93.1:6881"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (m->files[i].regular()) {
      EXPECT_TRUE(read_file(path("out/" + m->files[i].path)) == entries[i].data) << m->files[i].path << " differs";
    }
  }
  EXPECT_FALSE(fs::exists(path("out/coll/.pad"))) << "a pad file was made";
  ASSERT_TRUE(fs::is_symlink(path("out/coll/link")));
  EXPECT_EQ(fs::read_symlink(path("out/coll/link")), "d/x");
  EXPECT_TRUE(read_file(path("out/coll/link")) == entries[5].data);
  EXPECT_FALSE(fs::exists(fs::symlink_status(path("out/coll/escape")))) << "a link out of the torrent was made";
  // Each rename was reported.
  EXPECT_NE(r.out.find("coll/A.1.txt"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace fluxo
