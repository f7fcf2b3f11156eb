// The fluxo command as a script sees it: exit codes, stdout, stderr.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>

#include "core/bencode_value.h"
#include "tests/support/subprocess.h"

namespace fluxo {
namespace {

using test::run_process;
using test::TempDir;

test::ProcessResult fluxo(std::vector<std::string> args) {
  args.insert(args.begin(), FLUXO_BINARY);
  return run_process(args);
}

// Bytes a terminal would act on: C0 controls but the newline, DEL, and the
// C1 controls CSI and OSC as UTF-8 (U+009B, U+009D).
bool has_terminal_controls(const std::string& s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n') || c == 0x7f) return true;
  }
  return s.find("\xc2\x9b") != std::string::npos || s.find("\xc2\x9d") != std::string::npos;
}

std::string file_type(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "missing";
  if (S_ISREG(st.st_mode)) return "file";
  if (S_ISDIR(st.st_mode)) return "dir";
  if (S_ISFIFO(st.st_mode)) return "fifo";
  if (S_ISLNK(st.st_mode)) return "link";
  if (S_ISCHR(st.st_mode)) return "chr " + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
  return "other";
}

TEST(Cli, VersionAndHelp) {
  auto v = fluxo({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, "fluxo " FLUXO_VERSION "\n");
  auto h = fluxo({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("create"), std::string::npos);
  for (const char* cmd : {"info", "create"}) {
    auto c = fluxo({cmd, "--help"});
    EXPECT_EQ(c.exit_code, 0) << cmd;
    EXPECT_NE(c.out.find(std::string("usage: fluxo ") + cmd), std::string::npos);
  }
}

TEST(Cli, UsageErrorsExitTwoWithOneLine) {
  EXPECT_EQ(fluxo({}).exit_code, 2);
  auto r = fluxo({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("fluxo: unknown command", 0), 0u);
  EXPECT_EQ(fluxo({"info"}).exit_code, 2);
  EXPECT_EQ(fluxo({"info", "--bogus", "x"}).exit_code, 2);
  EXPECT_EQ(fluxo({"create", "/tmp"}).exit_code, 2);  // no -o
  EXPECT_EQ(fluxo({"create", "/tmp", "-o", "/tmp/x.torrent", "--piece-size", "1000"}).exit_code, 2);
}

TEST(Cli, AnUnknownEncryptionPolicyIsAUsageError) {
  TempDir dir;
  for (const char* cmd : {"download", "seed"}) {
    auto r = fluxo({cmd, dir / "x.torrent", "--encryption", "forced"});
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("prefer, require or off"), std::string::npos) << r.err;
  }
  EXPECT_EQ(fluxo({"bench", "--encryption", "rc4"}).exit_code, 2);
  auto help = fluxo({"download", "--help"});
  EXPECT_NE(help.out.find("--encryption MODE"), std::string::npos);
}

TEST(Cli, AListNamingMoreTorrentsThanOneRunTakesIsRefused) {
  TempDir dir;
  std::string list;
  for (int i = 0; i <= 10000; ++i) list += dir / ("t" + std::to_string(i) + ".torrent") + "\n";
  test::write_file(dir / "list.txt", list);
  auto r = run_process({FLUXO_BINARY, "download", "-i", dir / "list.txt", "-o", dir / "out", "--no-listen"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("more than 10000 torrents"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

TEST(Cli, MissingFileExitsFour) {
  auto r = fluxo({"info", "/nonexistent/x.torrent"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("No such file"), std::string::npos);
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, MalformedTorrentExitsThreeWithOffset) {
  TempDir dir;
  test::write_file(dir / "bad.torrent", "d4:infod4:name");
  auto r = fluxo({"info", dir / "bad.torrent"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("at byte"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(Cli, TorrentLargerThanTheLimitIsRefusedBeforeReading) {
  TempDir dir;
  test::write_file(dir / "huge.torrent", std::string(65u << 20, 'x'));
  auto r = fluxo({"info", dir / "huge.torrent"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("limit"), std::string::npos);
}

TEST(Cli, CreateThenInfoRoundTrip) {
  TempDir dir;
  test::write_random_file(dir / "data/a.bin", 300'000, 1);
  test::write_random_file(dir / "data/sub/b.bin", 7, 2);
  auto c = fluxo({"create", dir / "data", "-o", dir / "out.torrent", "-t", "http://127.0.0.1:1/a,http://127.0.0.1:2/a",
                  "-t", "udp://127.0.0.1:3", "--piece-size", "32KiB", "--comment", "hello", "--private",
                  "--web-seed", "http://127.0.0.1:4/", "--no-date"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("info-hash:"), std::string::npos);
  auto j = fluxo({"info", "--json", dir / "out.torrent"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.out.find("\"name\":\"data\""), std::string::npos);
  EXPECT_NE(j.out.find("\"total_size\":300007"), std::string::npos);
  EXPECT_NE(j.out.find("\"piece_length\":32768"), std::string::npos);
  EXPECT_NE(j.out.find("\"private\":true"), std::string::npos);
  EXPECT_NE(j.out.find("[[\"http://127.0.0.1:1/a\",\"http://127.0.0.1:2/a\"],[\"udp://127.0.0.1:3\"]]"),
            std::string::npos) << j.out;
  // Each file with the index --select and so= name it by.
  EXPECT_NE(j.out.find("{\"index\":1,\"path\":\"data/sub/b.bin\",\"size\":7}"), std::string::npos) << j.out;
  EXPECT_EQ(j.out.find("creation_date"), std::string::npos);
  auto t = fluxo({"info", dir / "out.torrent"});
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_NE(t.out.find("tier 1  udp://127.0.0.1:3"), std::string::npos);
  EXPECT_NE(t.out.find("     1          7 B  data/sub/b.bin"), std::string::npos) << t.out;
}

TEST(Cli, CreateIsReproducibleWithoutADate) {
  TempDir dir;
  test::write_random_file(dir / "data/x", 100'000, 3);
  ASSERT_EQ(fluxo({"create", dir / "data", "-o", dir / "1.torrent", "--no-date", "-q"}).exit_code, 0);
  ASSERT_EQ(fluxo({"create", dir / "data", "-o", dir / "2.torrent", "--no-date", "-q", "--threads", "1"}).exit_code, 0);
  EXPECT_EQ(test::read_file(dir / "1.torrent"), test::read_file(dir / "2.torrent"));
}

TEST(Cli, CreateDoesNotOverwriteWithoutForce) {
  TempDir dir;
  test::write_random_file(dir / "data", 1000, 4);
  test::write_file(dir / "out.torrent", "precious");
  auto r = fluxo({"create", dir / "data", "-o", dir / "out.torrent"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(test::read_file(dir / "out.torrent"), "precious");
  EXPECT_EQ(fluxo({"create", dir / "data", "-o", dir / "out.torrent", "--force", "-q"}).exit_code, 0);
  EXPECT_NE(test::read_file(dir / "out.torrent"), "precious");
}

TEST(Cli, CreateOfNothingFails) {
  TempDir dir;
  test::write_file(dir / "empty/zero", "");
  auto r = fluxo({"create", dir / "empty", "-o", dir / "o.torrent"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "o.torrent"));
  EXPECT_EQ(fluxo({"create", dir / "missing", "-o", dir / "o.torrent"}).exit_code, 4);
}

TEST(Cli, InfoOnMagnets) {
  auto r = fluxo({"info", "--json", "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=x&tr=http://t/a"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"info_hash\":\"c12fe1c06bba254a9dc9f519b335aa7c1367a88a\""), std::string::npos);
  auto bad = fluxo({"info", "magnet:?xt=urn:btih:123"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("invalid magnet"), std::string::npos);
}

TEST(Cli, JsonIsValidUtf8ForNonUtf8Names) {
  TempDir dir;
  bencode::Value::Dict info{{"name", std::string("caf\xe9\x01", 5)}, {"piece length", 16384},
                            {"pieces", std::string(20, 'h')}, {"length", 10}};
  test::write_file(dir / "t.torrent", bencode::encode(bencode::Value(bencode::Value::Dict{{"info", info}})));
  auto r = fluxo({"info", "--json", dir / "t.torrent"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"name\":\"caf\\ufffd_\""), std::string::npos) << r.out;
}

TEST(Cli, InfoEscapesControlBytesFromTheTorrent) {
  TempDir dir;
  bencode::Value::List path{std::string("\xc2\x9b" "2Jfile")};
  bencode::Value::Dict info{{"name", "\x1b[31mred\x07"}, {"piece length", 16384},
                            {"pieces", std::string(20, 'h')},
                            {"files", bencode::Value::List{bencode::Value::Dict{{"length", 10}, {"path", path}}}}};
  bencode::Value::Dict root{{"info", info},
                            {"comment", "\x1b]0;owned\x07 \x1b[31mred"},
                            {"created by", "\xc2\x9d" "0;title\x07"},
                            {"announce", "http://t/\x1b[2J"}};
  test::write_file(dir / "t.torrent", bencode::encode(bencode::Value(root)));
  auto r = fluxo({"info", dir / "t.torrent"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(has_terminal_controls(r.out)) << r.out;
  EXPECT_FALSE(has_terminal_controls(r.err)) << r.err;
  EXPECT_NE(r.out.find("comment:      \\x1b]0;owned\\x07 \\x1b[31mred\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("created by:   \\xc2\\x9d0;title\\x07\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\\xc2\\x9b2Jfile"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("http://t/\\x1b[2J"), std::string::npos) << r.out;
  // The JSON output escapes them as JSON does.
  auto j = fluxo({"info", "--json", dir / "t.torrent"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_FALSE(has_terminal_controls(j.out)) << j.out;
  EXPECT_NE(j.out.find("\\u009d0;title\\u0007"), std::string::npos) << j.out;
}

TEST(Cli, ErrorLinesEscapeControlBytes) {
  TempDir dir;
  auto r = fluxo({"info", dir / "\x1b[2J\x1b]0;owned\x07.torrent"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_FALSE(has_terminal_controls(r.err)) << r.err;
  EXPECT_NE(r.err.find("\\x1b[2J\\x1b]0;owned\\x07.torrent"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(Cli, CreateReplacesOnlyRegularFiles) {
  TempDir dir;
  test::write_random_file(dir / "data", 1000, 5);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  ASSERT_EQ(::symlink("fifo", (dir / "link-to-fifo").c_str()), 0);
  std::filesystem::create_directory(dir / "dir");
  std::vector<std::pair<std::string, std::string>> outputs{
      {"fifo", "fifo"}, {"link-to-fifo", "link"}, {"dir", "dir"}};
  // What `-o /dev/full` meets, in a directory of our own (mknod needs root).
  if (::mknod((dir / "full").c_str(), S_IFCHR | 0666, ::makedev(1, 7)) == 0) outputs.push_back({"full", "chr 1:7"});
  for (const auto& [name, type] : outputs) {
    ASSERT_EQ(file_type(dir / name), type);
    for (bool force : {false, true}) {
      std::vector<std::string> args{"create", dir / "data", "-o", dir / name, "-q"};
      if (force) args.push_back("--force");
      auto r = fluxo(args);
      EXPECT_EQ(r.exit_code, 4) << name << ": " << r.err;
      EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
      EXPECT_EQ(file_type(dir / name), type) << name << " was replaced";
    }
  }
  EXPECT_EQ(file_type(dir / "fifo"), "fifo");  // the link's target too
  // Nothing left behind: only what the test made.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, outputs.size() + 1);
  // A regular file is still replaced with --force.
  test::write_file(dir / "old.torrent", "old");
  EXPECT_EQ(fluxo({"create", dir / "data", "-o", dir / "old.torrent", "-q", "--force"}).exit_code, 0);
  EXPECT_NE(test::read_file(dir / "old.torrent"), "old");
}

TEST(Cli, CreateReportsAnUnreadableDirectoryInsteadOfLeavingItOut) {
  // Root reads everything whatever the mode: run fluxo as nobody then.
  std::vector<std::string> as_user;
  if (::geteuid() == 0) as_user = {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  test::write_random_file(dir / "payload/a.bin", 40'000, 6);
  test::write_random_file(dir / "payload/secret/b.bin", 40'000, 7);
  std::filesystem::create_directory(dir / "out");
  ASSERT_EQ(::chmod((dir / "out").c_str(), 0777), 0);  // so only the payload can fail
  auto run = [&](const std::string& out) {
    std::vector<std::string> argv = as_user;
    argv.insert(argv.end(), {FLUXO_BINARY, "create", dir / "payload", "-o", out, "-q"});
    return run_process(argv);
  };
  auto ok = run(dir / "out/all.torrent");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;  // readable: fine as that user
  ASSERT_EQ(::chmod((dir / "payload/secret").c_str(), 0), 0);
  auto r = run(dir / "out/partial.torrent");
  ::chmod((dir / "payload/secret").c_str(), 0755);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find(dir / "payload/secret"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out/partial.torrent"));
}

}  // namespace
}  // namespace fluxo
