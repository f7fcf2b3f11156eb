// Interrupted downloads, on loopback against a fluxo seeder: a clean stop
// (SIGINT) and its resume data, kill -9 at random moments, damaged resume
// data and files changed between runs. Each test has its own 127.x address.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <map>
#include <random>
#include <thread>

#include "core/resume.h"
#include "tests/support/swarm_fixture.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;
using namespace fluxo::test;

class ResumeTest : public SwarmTest {
 protected:
  std::vector<std::string> download_args(const std::string& torrent, const std::string& seeder) {
    return {FLUXO_BINARY, "download", torrent, "-o", path("out"), "--json", "--no-listen", "--peer", seeder,
            "--max-memory", "4MiB", "--stall-timeout", "30"};
  }
  // Bytes the seeder has sent, for all its torrents: their progress events
  // (one a second each) until a second's worth of new events changes no
  // torrent's count.
  static std::uint64_t uploaded(BackgroundProcess& seeder) {
    std::uint64_t last = UINT64_MAX;
    std::map<std::string, std::uint64_t> prev;
    std::size_t prev_events = 0;
    for (int i = 0; i < 100; ++i) {
      std::map<std::string, std::uint64_t> now;
      std::size_t events = 0;
      for (const auto& e : parse_events(seeder.output()).events) {
        if (e->getValue<std::string>("event") != "progress") continue;
        now[e->getValue<std::string>("info_hash")] = e->getValue<std::uint64_t>("uploaded_bytes");
        ++events;
      }
      std::uint64_t sum = 0;
      for (const auto& [hash, bytes] : now) sum += bytes;
      // At least one new event per torrent since the last look, and no change.
      if (!now.empty() && events >= prev_events + now.size() && now == prev) return sum;
      if (events >= prev_events + now.size()) {
        prev = now;
        prev_events = events;
      }
      last = now.empty() ? last : sum;
      std::this_thread::sleep_for(100ms);
    }
    return last;
  }
  // Every piece the resume data lists (if there is any) holds the original
  // bytes: nothing unverified or unwritten is ever reported complete.
  void expect_resume_pieces_on_disk(const std::string& torrent, const std::string& original,
                                    const std::string& downloaded) {
    auto meta = parse_metainfo(read_file(torrent));
    ASSERT_TRUE(meta);
    std::string resume_path = path("out/.fluxo/" + meta->info_hash.hex() + ".resume");
    if (!std::filesystem::exists(resume_path)) return;
    auto r = decode_resume(read_file(resume_path), *meta);
    ASSERT_TRUE(r) << r.status().message();
    std::string want = read_file(original), got = read_file(downloaded);
    for (std::uint32_t i = 0; i < meta->piece_count(); ++i) {
      if (!r->pieces.test(PieceIndex(i))) continue;
      auto at = static_cast<std::size_t>(i) * static_cast<std::size_t>(meta->piece_length);
      auto len = static_cast<std::size_t>(meta->piece_size(PieceIndex(i)));
      ASSERT_LE(at + len, got.size()) << "piece " << i << " listed but the file is short";
      ASSERT_TRUE(want.compare(at, len, got, at, len) == 0) << "piece " << i << " listed but not on disk";
    }
  }
};

TEST_F(ResumeTest, KilledFiveTimesThenCompletesWithoutFetchingVerifiedPiecesTwice) {
  const std::size_t size = 24'000'000;
  std::string payload = single_payload("kill.bin", size);
  std::string torrent = make_torrent(payload, "", "64KiB");
  // ~6 MB/s, so the download takes about four seconds and every kill lands mid-way.
  auto seeder = fluxo_seeder(torrent, "127.0.35.1", 7206, {"--upload-limit", "6MiB"});
  std::mt19937 rng(20261125);
  for (int i = 0; i < 5; ++i) {
    BackgroundProcess dl(download_args(torrent, "127.0.35.1:7206"), path("dl.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 600));
    dl.kill_now();  // SIGKILL: no chance to save anything
    expect_resume_pieces_on_disk(torrent, payload, path("out/kill.bin"));
  }
  auto r = run_process(download_args(torrent, "127.0.35.1:7206"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, path("out/kill.bin"));
  // What was verified and written before a kill is found again by the
  // recheck, not fetched again: the seeder sent the payload plus at most what
  // was in flight at each kill (the 4 MiB of piece buffers).
  std::uint64_t sent = uploaded(*seeder);
  EXPECT_GE(sent, size);
  EXPECT_LE(sent, size + 5 * (4u << 20)) << seeder->output();
  EXPECT_NE(r.out.find("rechecking"), std::string::npos) << r.out;
}

TEST_F(ResumeTest, KilledDuringAMultiTorrentRunThenCompletesWithoutFetchingVerifiedPiecesTwice) {
  // Three torrents from one fluxo seeder (one process, one port, 6 MiB/s in
  // all), downloaded together by one fluxo process killed three times.
  std::vector<std::string> payloads, torrents;
  std::size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    std::string name = "multi-" + std::to_string(i) + ".bin";
    const std::size_t size = 7'000'000 + 1'000'003 * static_cast<std::size_t>(i);
    write_random_file(path("data/" + name), size, 100 + i);
    payloads.push_back(path("data/" + name));
    torrents.push_back(make_torrent(payloads.back(), "", "64KiB"));
    total += size;
  }
  BackgroundProcess seeder({FLUXO_BINARY, "seed", torrents[0], torrents[1], torrents[2], "-d", path("data"), "--listen",
                            "127.0.39.1", "--port", "7210", "--json", "--upload-limit", "6MiB"},
                           path("seed.log"));
  for (int i = 0; i < 600 && parse_events(seeder.output()).count("started") < 3; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(parse_events(seeder.output()).count("started"), 3) << seeder.output();
  auto args = download_args(torrents[0], "127.0.39.1:7210");
  args.insert(args.begin() + 3, {torrents[1], torrents[2]});
  std::mt19937 rng(20261127);
  for (int i = 0; i < 3; ++i) {
    BackgroundProcess dl(args, path("dl.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(600 + rng() % 900));
    dl.kill_now();
    for (int t = 0; t < 3; ++t) {
      expect_resume_pieces_on_disk(torrents[t], payloads[t], path("out/multi-" + std::to_string(t) + ".bin"));
    }
  }
  auto r = run_process(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (int t = 0; t < 3; ++t) expect_same_tree(payloads[t], path("out/multi-" + std::to_string(t) + ".bin"));
  // The seeder sent the payloads plus at most what was in flight at each
  // kill: 4 MiB of piece buffers in all, and each torrent's few guaranteed
  // ones beyond that.
  std::uint64_t sent = uploaded(seeder);
  EXPECT_GE(sent, total);
  EXPECT_LE(sent, total + 3 * ((4u << 20) + 3 * 4 * (64u << 10))) << seeder.output();
}

TEST_F(ResumeTest, InterruptedDownloadContinuesFromItsResumeData) {
  const std::size_t size = 16'000'000;
  std::string payload = single_payload("int.bin", size);
  std::string torrent = make_torrent(payload, "", "64KiB");
  auto seeder = fluxo_seeder(torrent, "127.0.36.1", 7207, {"--upload-limit", "6MiB"});
  {
    BackgroundProcess dl(download_args(torrent, "127.0.36.1:7207"), path("dl.log"));
    // Mid-download: the first progress event (after a second at ~6 MB/s).
    ASSERT_TRUE(dl.wait_for_line("{\"event\":\"progress\"", 20s)) << dl.output();
    EXPECT_EQ(dl.stop(SIGINT, 10s), 130);  // interrupted, cleanly
  }
  auto r = run_process(download_args(torrent, "127.0.36.1:7207"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto resume = parse_events(r.out).last("resume");
  ASSERT_TRUE(resume) << r.out;
  EXPECT_EQ(resume->getValue<std::string>("message").rfind("resumed: ", 0), 0u) << r.out;
  expect_same_tree(payload, path("out/int.bin"));
  std::uint64_t sent = uploaded(*seeder);
  EXPECT_LE(sent, size + (4u << 20)) << seeder->output();
}

TEST_F(ResumeTest, DamagedResumeDataIsIgnoredAndTheDataRechecked) {
  std::string payload = single_payload("dmg.bin", 3'000'000);
  std::string torrent = make_torrent(payload, "", "32KiB");
  auto seeder = fluxo_seeder(torrent, "127.0.37.1", 7208);
  auto first = run_process(download_args(torrent, "127.0.37.1:7208"));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const std::string resume = path("out/.fluxo/" + info_hash(torrent) + ".resume");
  ASSERT_TRUE(std::filesystem::exists(resume));
  const std::string good = read_file(resume);
  std::mt19937 rng(7);
  std::string random(200, '\0');
  for (auto& c : random) c = static_cast<char>(rng());
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"empty", ""}, {"truncated", good.substr(0, good.size() / 2)}, {"random", random}}) {
    write_file(resume, bytes);
    auto r = run_process(download_args(torrent, "127.0.37.1:7208"));
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.out << r.err;
    auto ev = parse_events(r.out);
    EXPECT_NE(r.out.find("resume data ignored"), std::string::npos) << name << ": " << r.out;
    EXPECT_NE(r.out.find("recheck: 92 of 92 pieces verified"), std::string::npos) << name << ": " << r.out;
    EXPECT_EQ(ev.last("finished")->getValue<int>("peers_used"), 0) << name;  // nothing fetched
  }
  expect_same_tree(payload, path("out/dmg.bin"));
}

TEST_F(ResumeTest, AFileChangedBetweenRunsIsRecheckedAndRepaired) {
  std::string payload = single_payload("chg.bin", 3'000'000);
  std::string torrent = make_torrent(payload, "", "32KiB");
  auto seeder = fluxo_seeder(torrent, "127.0.38.1", 7209);
  ASSERT_EQ(run_process(download_args(torrent, "127.0.38.1:7209")).exit_code, 0);
  // Someone edits the downloaded file: the resume data no longer describes it.
  std::string data = read_file(path("out/chg.bin"));
  data[100'000] ^= 0x55;
  write_file(path("out/chg.bin"), data);
  auto r = run_process(download_args(torrent, "127.0.38.1:7209"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("files changed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recheck: 91 of 92"), std::string::npos) << r.out;
  expect_same_tree(payload, path("out/chg.bin"));
  // fluxo verify agrees.
  auto v = run_process({FLUXO_BINARY, "verify", torrent, "-d", path("out"), "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// A small tmpfs (the tests run as root, as CI does) that is unmounted
// whatever happens.
struct SmallFilesystem {
  std::string dir;
  bool mounted = false;
  SmallFilesystem(std::string d, const std::string& size) : dir(std::move(d)) {
    std::filesystem::create_directories(dir);
    mounted = run_process({"mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir}).exit_code == 0;
  }
  bool grow(const std::string& size) {
    return run_process({"mount", "-o", "remount,size=" + size, dir}).exit_code == 0;
  }
  ~SmallFilesystem() {
    if (mounted) run_process({"umount", "-l", dir});
  }
};

// A disk without room for the file: by default the reservation at the start
// finds it at once, before a byte is fetched; with --sparse the disk fills
// mid-download. Either way one clear line and exit 4; and once space is
// freed, a later run continues from what the first one wrote.
TEST_F(ResumeTest, DiskFullIsOneClearErrorAndALaterRunContinues) {
  const std::size_t size = 10'000'000;
  std::string payload = single_payload("full.bin", size);
  std::string torrent = make_torrent(payload, "", "64KiB");
  auto seeder = fluxo_seeder(torrent, "127.0.39.1", 7210);
  SmallFilesystem fs(path("small"), "4m");
  ASSERT_TRUE(fs.mounted) << "mounting a tmpfs needs root";
  std::vector<std::string> argv{FLUXO_BINARY, "download", torrent, "-o", fs.dir, "--json", "--no-listen", "--peer",
                                "127.0.39.1:7210", "--max-memory", "4MiB", "--stall-timeout", "30"};
  auto early = run_process(argv);
  EXPECT_EQ(early.exit_code, 4) << early.out << early.err;
  EXPECT_NE(early.err.find("not enough free space"), std::string::npos) << early.err;
  EXPECT_EQ(std::count(early.err.begin(), early.err.end(), '\n'), 1) << early.err;
  EXPECT_EQ(uploaded(*seeder), 0u) << seeder->output();  // nothing fetched for nothing
  argv.push_back("--sparse");
  auto full = run_process(argv);
  EXPECT_EQ(full.exit_code, 4) << full.out << full.err;
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  EXPECT_EQ(std::count(full.err.begin(), full.err.end(), '\n'), 1) << full.err;  // one line
  // Space is freed: the next run continues, rechecking what is there.
  ASSERT_TRUE(fs.grow("32m"));
  auto r = run_process(argv);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_tree(payload, fs.dir + "/full.bin");
  auto resume = parse_events(r.out).last("resume");
  ASSERT_TRUE(resume) << r.out;  // it found data (or resume data) from the first run
  // Fetched twice at most: the pieces in the 4 MiB of buffers when the disk
  // filled (including those whose write failed), and the blocks requested
  // for them.
  std::uint64_t sent = uploaded(*seeder);
  EXPECT_LE(sent, size + 2 * (4u << 20)) << seeder->output();
}

// The space a run reserved is not asked for again by the next run (the
// disk now holds it), and a torrent's files are reserved together: when
// they do not all fit, none keeps a block.
TEST_F(ResumeTest, SpaceIsReservedOnceAndForEveryFileOrNone) {
  std::string one = make_torrent(single_payload("one.bin", 3'000'000), "", "64KiB");
  SmallFilesystem fs(path("small"), "4m");
  ASSERT_TRUE(fs.mounted) << "mounting a tmpfs needs root";
  auto blocks = [](const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return static_cast<std::int64_t>(st.st_blocks) * 512;
  };
  std::vector<std::string> argv{FLUXO_BINARY, "download", one, "-o", fs.dir, "--no-listen", "--peer", "127.0.19.1:9",
                                "--stall-timeout", "2", "-q"};
  for (int run = 0; run < 2; ++run) {
    auto r = run_process(argv);
    EXPECT_EQ(r.exit_code, 5) << "run " << run << ": " << r.err;  // no peer, but room
    EXPECT_GE(blocks(fs.dir + "/one.bin"), 3'000'000) << "run " << run;
  }
  std::string root = path("data/two");
  write_random_file(root + "/x.bin", 1'500'000, 5);
  write_random_file(root + "/y.bin", 1'500'000, 6);
  std::string two = make_torrent(root, "", "64KiB");
  SmallFilesystem small(path("smaller"), "2m");
  ASSERT_TRUE(small.mounted);
  auto r = run_process({FLUXO_BINARY, "download", two, "-o", small.dir, "--no-listen", "--peer", "127.0.19.1:9",
                        "--stall-timeout", "2", "-q"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("not enough free space"), std::string::npos) << r.err;
  EXPECT_EQ(blocks(small.dir + "/two/x.bin"), 0);
  EXPECT_EQ(blocks(small.dir + "/two/y.bin"), 0);
}

TEST_F(ResumeTest, VerifyReportsCorruptAndMissingPiecesAndTheirFiles) {
  std::string root = multi_payload("tree");
  std::string torrent = make_torrent(root, "", "32KiB");
  auto ok = run_process({FLUXO_BINARY, "verify", torrent, "-d", path("data"), "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  std::string b = read_file(root + "/sub/b.bin");
  b[10] ^= 1;
  write_file(root + "/sub/b.bin", b);
  std::filesystem::remove(root + "/z.txt");
  auto bad = run_process({FLUXO_BINARY, "verify", torrent, "-d", path("data"), "--json"});
  EXPECT_EQ(bad.exit_code, 6) << bad.out << bad.err;
  auto o = parse_events(bad.out).events.at(0);
  EXPECT_FALSE(o->getValue<bool>("ok"));
  EXPECT_EQ(o->getArray("corrupt")->size(), 1u) << bad.out;
  EXPECT_EQ(o->getArray("missing")->size(), 1u) << bad.out;
  EXPECT_NE(bad.out.find("\"path\":\"tree/sub/b.bin\""), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("\"path\":\"tree/z.txt\""), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace fluxo
