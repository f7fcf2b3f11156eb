// fluxo bench: a self-contained loopback swarm. Makes a payload and its
// torrent in a temporary directory, starts N `fluxo seed` processes on their
// own 127.0.77.x addresses, downloads with `fluxo download` (the normal path),
// compares every byte, reports time, CPU and memory, and cleans up.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "net/mse_stream.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/json_writer.h"
#include "tools/swarm_cli.h"
#include "tools/terminal.h"

extern char** environ;

namespace fluxo::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: fluxo bench [options]\n"
    "\n"
    "Runs a download benchmark that needs nothing outside fluxo: makes a payload\n"
    "and its torrent in a temporary directory, starts N fluxo seeders on\n"
    "loopback (127.0.77.1..N), downloads with the normal download path, checks\n"
    "every byte, prints throughput, CPU seconds per GiB and peak memory, and\n"
    "removes everything it made.\n"
    "\n"
    "      --size SIZE          payload size (default 1GiB)\n"
    "      --seeders N          seeders (default 4, at most 200)\n"
    "      --files N            split each torrent's payload into N files\n"
    "                           (default 1)\n"
    "      --torrents N         split the payload into N torrents, fetched by\n"
    "                           one fluxo download and served by every seeder\n"
    "                           (default 1; at most 10000)\n"
    "      --piece-size BYTES   piece size (default: fluxo create's choice)\n"
    "      --max-active N       passed to the download: torrents fetched at\n"
    "                           once (default 8)\n"
    "      --max-peers N        passed to the download: connections in all\n"
    "                           (default 200); with --max-active and enough\n"
    "                           --torrents, a scale test (every seeder serves\n"
    "                           every torrent: --seeders x active connections)\n"
    "      --port N             the seeders' port (default 6881)\n"
    "      --encryption MODE    prefer (default), require (RC4 both ways: its\n"
    "                           cost) or off, for the seeders and the download\n"
    "      --keep               keep the temporary directory (printed)\n"
    "      --json               one JSON object with the results on stdout\n"
    "  -h, --help               this text\n"
    "\n"
    "exit codes: 0 done and identical, 1 the download failed or differs,\n"
    "2 bad command line, 4 file system error, 130 interrupted\n";

int usage_error(const std::string& msg) { return print_usage_error("bench", msg); }

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("fluxo") : p.string();
}

// A child process with stdout on a pipe, stderr to a file.
struct Child {
  pid_t pid = -1;
  int out = -1;
  std::string buffered;

  static Child spawn(const std::vector<std::string>& argv, const std::string& err_path) {
    Child c;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return c;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&c.pid, args[0], &fa, nullptr, args.data(), environ) != 0) c.pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    c.out = fds[0];
    return c;
  }

  // Drains stdout to the end (the child must exit by itself).
  void read_all() {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out, buf, sizeof buf)) > 0) buffered.append(buf, static_cast<std::size_t>(n));
  }

  struct End {
    int status = -1;
    double cpu_seconds = 0;
    long max_rss_kib = 0;
  };
  End wait() {
    End e;
    rusage ru{};
    if (pid > 0 && ::wait4(pid, &e.status, 0, &ru) == pid) {
      e.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                      static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
      e.max_rss_kib = ru.ru_maxrss;
    }
    if (out >= 0) ::close(out);
    out = -1;
    pid = -1;
    return e;
  }
};

// Reads the seeders' stdout for as long as they run, on a thread of its own.
// A seeder with --json prints a progress line every second: a pipe nobody
// reads fills within minutes, and the seeder then blocks in write() and never
// sees its SIGTERM. The output is thrown away once the seeder has said it
// serves every torrent (a `started` event each); until then the last bytes
// are kept to count those lines.
class SeederOutputs {
 public:
  // Takes ownership of the read ends.
  SeederOutputs(std::vector<int> fds, std::size_t torrents)
      : fds_(std::move(fds)), torrents_(torrents), state_(fds_.size()), thread_([this] { run(); }) {}
  ~SeederOutputs() {
    stop_.store(true);
    thread_.join();
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  SeederOutputs(const SeederOutputs&) = delete;
  SeederOutputs& operator=(const SeederOutputs&) = delete;

  // Waits until every seeder serves every torrent. False when one ended
  // first (`failed` is its index), at the deadline, or on `stop`.
  bool wait_listening(Clock::time_point deadline, const std::atomic<bool>& stop, std::size_t& failed) {
    std::unique_lock lock(mu_);
    while (Clock::now() < deadline && !stop.load()) {
      bool all = true;
      for (std::size_t i = 0; i < state_.size(); ++i) {
        if (state_[i].listening) continue;
        if (state_[i].ended) {
          failed = i;
          return false;
        }
        all = false;
      }
      if (all) return true;
      // The signal handler cannot notify: look at `stop` every 200 ms.
      changed_.wait_for(lock, std::chrono::milliseconds(200));
    }
    failed = state_.size();
    return false;
  }

 private:
  static constexpr std::string_view kStarted = "\"event\":\"started\"";
  struct State {
    std::string tail;
    std::size_t started = 0;
    bool listening = false;  // serving every torrent
    bool ended = false;
  };

  void run() {
    std::vector<pollfd> p(fds_.size());
    std::size_t open = fds_.size();
    char buf[65536];
    while (open > 0 && !stop_.load()) {
      for (std::size_t i = 0; i < fds_.size(); ++i) p[i] = {state_[i].ended ? -1 : fds_[i], POLLIN, 0};
      if (::poll(p.data(), p.size(), 200) <= 0) continue;
      for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i].fd < 0 || p[i].revents == 0) continue;
        ssize_t n = ::read(fds_[i], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        std::lock_guard lock(mu_);
        State& st = state_[i];
        if (n <= 0) {
          st.ended = true;
          --open;
        } else if (!st.listening) {
          st.tail.append(buf, static_cast<std::size_t>(n));
          for (auto at = st.tail.find(kStarted); at != std::string::npos; at = st.tail.find(kStarted, at + 1)) {
            ++st.started;
          }
          st.listening = st.started >= torrents_;
          // Keep what may be the start of a line cut in two.
          if (st.tail.size() >= kStarted.size()) st.tail.erase(0, st.tail.size() - (kStarted.size() - 1));
        }
        changed_.notify_all();
      }
    }
  }

  std::vector<int> fds_;
  const std::size_t torrents_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<State> state_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once everything above exists
};

// Pseudo-random payload bytes, fast (no /dev/urandom for a GiB).
Status write_payload(const fs::path& path, std::int64_t size, std::uint64_t seed) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status(ErrorCode::io_error, path.string() + ": " + std::strerror(errno));
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> buf(1 << 17);  // 1 MiB
  std::int64_t left = size;
  while (left > 0) {
    for (auto& w : buf) w = rng();
    auto n = static_cast<std::size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size() * 8)));
    if (::write(fd, buf.data(), n) != static_cast<ssize_t>(n)) {
      ::close(fd);
      return Status(ErrorCode::io_error, path.string() + ": write failed: " + std::strerror(errno));
    }
    left -= static_cast<std::int64_t>(n);
  }
  ::close(fd);
  return Status::ok();
}

bool same_file(const fs::path& a, const fs::path& b) {
  int fa = ::open(a.c_str(), O_RDONLY | O_CLOEXEC), fb = ::open(b.c_str(), O_RDONLY | O_CLOEXEC);
  bool same = fa >= 0 && fb >= 0;
  std::vector<char> x(1 << 20), y(1 << 20);
  while (same) {
    ssize_t n = ::read(fa, x.data(), x.size());
    ssize_t m = ::read(fb, y.data(), y.size());
    if (n != m || n < 0) same = false;
    if (n <= 0) break;
    if (std::memcmp(x.data(), y.data(), static_cast<std::size_t>(n)) != 0) same = false;
  }
  if (fa >= 0) ::close(fa);
  if (fb >= 0) ::close(fb);
  return same;
}

}  // namespace

int run_bench(std::span<const std::string> args) {
  static const OptionSpec kSpecs[] = {
      {"size", 0, true, false},  {"seeders", 0, true, false}, {"files", 0, true, false}, {"torrents", 0, true, false},
      {"piece-size", 0, true, false}, {"port", 0, true, false}, {"keep", 0, false, false},
      {"max-active", 0, true, false}, {"max-peers", 0, true, false}, {"encryption", 0, true, false},
      {"json", 0, false, false}, {"help", 'h', false, false},
  };
  auto parsed = parse_args(args, kSpecs);
  if (!parsed) return usage_error(parsed.status().message());
  if (parsed->has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (!parsed->positional.empty()) return usage_error("bench takes no file arguments");
  std::int64_t size = 1ll << 30;
  unsigned long seeders = 4, files = 1, port = 6881, torrents = 1, max_active = 8, max_peers = 200;
  if (auto v = parsed->value("size")) {
    auto s = parse_size(*v);
    if (!s || *s < 1) return usage_error("--size must be a size such as 256MiB or 1GiB");
    size = *s;
  }
  for (auto err : {uint_option(*parsed, "seeders", 1, 200, seeders), uint_option(*parsed, "files", 1, 10000, files),
                   uint_option(*parsed, "torrents", 1, 10000, torrents),
                   uint_option(*parsed, "port", 1, 65535, port),
                   uint_option(*parsed, "max-active", 1, 10000, max_active),
                   uint_option(*parsed, "max-peers", 1, 10000, max_peers)}) {
    if (err) return usage_error(*err);
  }
  if (static_cast<std::int64_t>(files * torrents) > size) return usage_error("--files x --torrents is larger than --size");
  std::string piece_size;
  if (auto v = parsed->value("piece-size")) piece_size = *v;
  std::string encryption = "prefer";
  if (auto v = parsed->value("encryption")) {
    if (!parse_encryption(*v)) return usage_error("--encryption must be prefer, require or off");
    encryption = *v;
  }
  const bool json = parsed->has("json");
  const bool keep = parsed->has("keep");
  install_signal_handlers();

  std::string tmpl = (fs::temp_directory_path() / "fluxo-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    print_error(std::string("cannot make a temporary directory: ") + std::strerror(errno));
    return kExitIo;
  }
  const fs::path work = tmpl;
  const std::string exe = self_exe();
  std::vector<Child> seeds;
  std::unique_ptr<SeederOutputs> seed_outputs;  // reads seeds' stdout until they end
  auto cleanup = [&] {
    for (auto& s : seeds) {
      if (s.pid > 0) ::kill(s.pid, SIGTERM);
    }
    for (auto& s : seeds) s.wait();
    seed_outputs.reset();
    std::error_code ec;
    if (!keep) fs::remove_all(work, ec);
  };
  auto fail = [&](const std::string& msg, int code) {
    print_error(msg);
    if (keep) std::fprintf(stderr, "fluxo: kept %s\n", work.c_str());
    cleanup();
    return code;
  };
  auto note = [&](const std::string& msg) {
    if (!json) std::fprintf(stderr, "== %s\n", msg.c_str());
  };

  // 1. Payloads and torrents: `torrents` of size/torrents bytes each.
  note("making a " + human_bytes(size) + " payload in " + std::to_string(torrents) + " torrent(s) of " +
       std::to_string(files) + " file(s) under " + work.string());
  const fs::path data = work / "data";
  std::vector<fs::path> rel;  // every payload file, relative to data/
  std::vector<std::string> torrent_files;
  std::error_code ec;
  fs::create_directories(data, ec);
  for (unsigned long t = 0; t < torrents; ++t) {
    const std::string stem = torrents == 1 ? "payload" : "payload-" + std::to_string(t);
    const std::int64_t tsize = size / static_cast<std::int64_t>(torrents) +
                               (t < static_cast<unsigned long>(size % static_cast<std::int64_t>(torrents)) ? 1 : 0);
    const fs::path root = files == 1 ? data / (stem + ".bin") : data / stem;
    if (files > 1) fs::create_directories(root, ec);
    for (unsigned long i = 0; i < files; ++i) {
      std::int64_t part = tsize / static_cast<std::int64_t>(files) +
                          (i < static_cast<unsigned long>(tsize % static_cast<std::int64_t>(files)) ? 1 : 0);
      fs::path p = files == 1 ? root : root / ("file-" + std::to_string(i) + ".bin");
      if (Status s = write_payload(p, part, 1000 + t * 10007 + i); !s) return fail(s.to_string(), kExitIo);
      rel.push_back(fs::relative(p, data));
      if (g_interrupt.load()) return fail("interrupted", kExitInterrupted);
    }
    const fs::path torrent =
        work / (torrents == 1 ? std::string("bench.torrent") : "bench-" + std::to_string(t) + ".torrent");
    std::vector<std::string> argv{exe, "create", root.string(), "-o", torrent.string(), "-q"};
    if (!piece_size.empty()) argv.insert(argv.end(), {"--piece-size", piece_size});
    Child c = Child::spawn(argv, (work / "create.log").string());
    c.read_all();
    auto end = c.wait();
    if (!WIFEXITED(end.status) || WEXITSTATUS(end.status) != 0) {
      return fail("fluxo create failed (see " + (work / "create.log").string() + ")", kExitFailure);
    }
    torrent_files.push_back(torrent.string());
  }

  // 2. Seeders, each on its own loopback address.
  note("starting " + std::to_string(seeders) + " fluxo seeders on 127.0.77.1.." + std::to_string(seeders));
  std::vector<std::string> peers;
  for (unsigned long i = 0; i < seeders; ++i) {
    std::string ip = "127.0." + std::to_string(77 + i / 250) + "." + std::to_string(1 + i % 250);
    std::vector<std::string> argv{exe, "seed"};
    argv.insert(argv.end(), torrent_files.begin(), torrent_files.end());
    argv.insert(argv.end(), {"-d", data.string(), "--listen", ip, "--port", std::to_string(port), "--no-trackers",
                             "--json", "--upload-slots", "8", "--max-peers", std::to_string(std::max(200ul, max_peers)),
                             "--encryption", encryption});
    seeds.push_back(Child::spawn(argv, (work / ("seed-" + ip + ".log")).string()));
    peers.push_back(ip + ":" + std::to_string(port));
  }
  std::vector<int> seed_fds;
  for (auto& c : seeds) seed_fds.push_back(std::exchange(c.out, -1));
  seed_outputs = std::make_unique<SeederOutputs>(std::move(seed_fds), torrents);
  const auto ready_by = Clock::now() + std::chrono::seconds(120 + seeders * 5 + torrents / 10);
  if (std::size_t failed = 0; !seed_outputs->wait_listening(ready_by, g_interrupt, failed)) {
    if (g_interrupt.load()) return fail("interrupted", kExitInterrupted);
    std::string who = failed < peers.size() ? "seeder " + peers[failed] : "a seeder";
    return fail(who + " did not start (see " + work.string() + "/seed-*.log)", kExitFailure);
  }

  // 3. The download, measured.
  note("downloading with fluxo download");
  std::vector<std::string> argv{exe, "download"};
  argv.insert(argv.end(), torrent_files.begin(), torrent_files.end());
  argv.insert(argv.end(), {"-o", (work / "out").string(), "--no-listen", "--no-trackers", "--json", "--max-active",
                           std::to_string(max_active), "--max-peers", std::to_string(max_peers), "--encryption",
                           encryption});
  for (const auto& p : peers) argv.insert(argv.end(), {"--peer", p});
  const auto t0 = Clock::now();
  Child dl = Child::spawn(argv, (work / "download.log").string());
  const bool tty = !json && ::isatty(2);
  std::size_t done = 0;
  while (true) {
    pollfd p{dl.out, POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) {
      char buf[4096];
      ssize_t n = ::read(dl.out, buf, sizeof buf);
      if (n <= 0) break;
      dl.buffered.append(buf, static_cast<std::size_t>(n));
      if (tty && torrents == 1) {
        auto at = dl.buffered.rfind("\"percent\":");
        if (at != std::string::npos) std::fprintf(stderr, "\r   %5.1f %%", std::atof(dl.buffered.c_str() + at + 10));
      } else if (tty) {
        // Torrents done so far: `finished` events in what arrived.
        static constexpr std::string_view kDone = "\"event\":\"finished\"";
        const std::size_t from = dl.buffered.size() - static_cast<std::size_t>(n);
        for (auto at = dl.buffered.find(kDone, from >= kDone.size() ? from - kDone.size() + 1 : 0);
             at != std::string::npos; at = dl.buffered.find(kDone, at + 1)) {
          ++done;
        }
        std::fprintf(stderr, "\r   %zu/%lu torrents", done, torrents);
      }
    }
    if (g_interrupt.load()) ::kill(dl.pid, SIGINT);
  }
  auto end = dl.wait();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (tty) std::fputs("\r                         \r", stderr);
  if (g_interrupt.load()) return fail("interrupted", kExitInterrupted);
  if (!WIFEXITED(end.status) || WEXITSTATUS(end.status) != 0) {
    return fail("the download failed (see " + (work / "download.log").string() + ")", kExitFailure);
  }

  // 4. Byte for byte.
  note("comparing every byte");
  for (const auto& r : rel) {
    if (!same_file(data / r, work / "out" / r)) return fail("downloaded " + r.string() + " differs", kExitFailure);
  }
  // The seeders' own cost, after they stop.
  for (auto& s : seeds) ::kill(s.pid, SIGTERM);
  double seeder_cpu = 0;
  long seeder_rss = 0;
  for (auto& s : seeds) {
    auto e = s.wait();
    seeder_cpu += e.cpu_seconds;
    seeder_rss = std::max(seeder_rss, e.max_rss_kib);
  }
  seed_outputs.reset();

  const double gib = static_cast<double>(size) / static_cast<double>(1ll << 30);
  const double mibps = static_cast<double>(size) / seconds / (1 << 20);
  if (json) {
    JsonWriter j;
    j.begin_object()
        .key("ok").value(true)
        .key("bytes").value(size)
        .key("files").value(static_cast<std::uint64_t>(files))
        .key("torrents").value(static_cast<std::uint64_t>(torrents))
        .key("seeders").value(static_cast<std::uint64_t>(seeders))
        .key("encryption").value(encryption)
        .key("seconds").value(seconds)
        .key("mib_per_s").value(mibps)
        .key("cpu_s_per_gib").value(end.cpu_seconds / gib)
        .key("peak_rss_mib").value(static_cast<double>(end.max_rss_kib) / 1024)
        .key("seeders_cpu_s").value(seeder_cpu)
        .key("seeder_peak_rss_mib").value(static_cast<double>(seeder_rss) / 1024)
        .key("directory").value(work.string())
        .key("kept").value(keep)
        .end_object();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("fluxo bench: %s in %lu torrent(s) of %lu file(s) from %lu fluxo seeder(s), byte-identical\n",
                human_bytes(size).c_str(), torrents, files, seeders);
    std::printf("  download   %.2f s  %.0f MiB/s  %.2f CPU s/GiB  peak RSS %.0f MiB\n", seconds, mibps,
                end.cpu_seconds / gib, static_cast<double>(end.max_rss_kib) / 1024);
    std::printf("  seeders    %.2f CPU s in all (recheck included)  peak RSS %.0f MiB each at most\n", seeder_cpu,
                static_cast<double>(seeder_rss) / 1024);
  }
  if (keep) std::fprintf(stderr, "fluxo: kept %s\n", work.c_str());
  cleanup();
  return kExitOk;
}

}  // namespace fluxo::cli
