// fluxo download (FILE.torrent | MAGNET)... [-i LIST] [options]
#include <cstdio>
#include <string>

#include "core/file_selection.h"
#include "core/metainfo.h"
#include "session/session.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/swarm_cli.h"
#include "tools/terminal.h"
#include "tools/torrent_file.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsageHead =
    "usage: fluxo download (FILE.torrent | MAGNET)... [-i LIST] [options]\n"
    "\n"
    "Downloads torrents into a directory, each at its own path inside it (the\n"
    "torrent's sanitized name), verifying every piece, and serves verified\n"
    "pieces to other peers meanwhile. Many torrents share one process, one\n"
    "listening port and one connection and memory budget; --max-active of them\n"
    "download at once, the rest wait their turn in order. By default it stops\n"
    "when every download is complete (a bulk fetch); --seed-ratio and\n"
    "--seed-time keep each torrent seeding. An interrupted download continues\n"
    "where it stopped: from its resume data in DIR/.fluxo/, or by rechecking\n"
    "the data it finds (Ctrl-C saves every torrent's resume data). Exits 0 only\n"
    "when every byte of every torrent is written and verified.\n"
    "\n"
    "A magnet link (quote it for the shell) first fetches the torrent's\n"
    "metadata from peers (BEP 9): from its trackers (tr=), the peers it names\n"
    "(x.pe=) and --peer; the metadata is checked against the info-hash and\n"
    "saved as DIR/.fluxo/<info-hash>.torrent, so a resumed download does not\n"
    "fetch it again. Its so= (BEP 53) selects files, as --select does.\n"
    "\n"
    "  -o, --output DIR         download directory (default: the current one)\n"
    "  -i, --input-file LIST    also the torrents listed in LIST, one path or\n"
    "                           magnet link per line; blank lines and lines starting with # are\n"
    "                           skipped; - reads standard input. A torrent that\n"
    "                           cannot be read is reported; the others go on\n"
    "      --select LIST        only these files: indices as `fluxo info` numbers\n"
    "                           them, e.g. 0,2,4-6 (every torrent given; it\n"
    "                           overrides a magnet's so=). Only the pieces\n"
    "                           holding their bytes are fetched; the other files\n"
    "                           are not created (bytes of theirs that share a\n"
    "                           piece go to DIR/.fluxo/<info-hash>.parts)\n"
    "      --max-active N       torrents downloading at once (default 8)\n"
    "      --seed-ratio R       after completion, seed until R x the torrent's\n"
    "                           size is uploaded\n"
    "      --seed-time MINUTES  after completion, seed this long (with both, the\n"
    "                           first limit reached ends it)\n"
    "      --max-memory SIZE    piece buffers in flight, every torrent together\n"
    "                           (default 64MiB; each downloading torrent may\n"
    "                           always hold 4 pieces)\n"
    "      --hash-threads N     hashing threads (default: one per core)\n"
    "      --buffered-io        write through the page cache; by default whole\n"
    "                           blocks of writes from 256 KiB up are written\n"
    "                           with O_DIRECT, which skips a copy and leaves the\n"
    "                           page cache alone\n"
    "      --sparse             do not reserve each new file's space at the\n"
    "                           start (by default it is reserved, size\n"
    "                           unchanged: writes cost less CPU, and a disk\n"
    "                           without the room fails at once)\n"
    "      --stall-timeout SECS give up after this long without a block from any\n"
    "                           peer (default 60; connected peers that send\n"
    "                           nothing useful do not count)\n";

constexpr const char* kUsageTail =
    "\n"
    "exit codes: 0 every torrent done, 2 bad command line, 3 invalid torrent,\n"
    "4 file system error, 5 no usable peers, 6 data does not verify, 130\n"
    "interrupted. With several torrents, the highest code among their\n"
    "failures; each torrent's outcome is in the summary.\n";

int usage_error(const std::string& msg) { return print_usage_error("download", msg); }

}  // namespace

int run_download(std::span<const std::string> args) {
  int exit = kExitOk;
  auto parsed = parse_swarm_command(args,
                                    {{"output", 'o', true, false},
                                     {"input-file", 'i', true, true},
                                     {"max-active", 0, true, false},
                                     {"seed-ratio", 0, true, false},
                                     {"seed-time", 0, true, false},
                                     {"max-memory", 0, true, false},
                                     {"hash-threads", 0, true, false},
                                     {"buffered-io", 0, false, false},
                                     {"sparse", 0, false, false},
                                     {"stall-timeout", 0, true, false},
                                     {"select", 0, true, false}},
                                    SwarmUsage{"download", kUsageHead, kUsageTail}, exit);
  if (!parsed) return exit;
  const auto lists = parsed->values("input-file");
  if (parsed->positional.empty() && lists.empty()) {
    return usage_error("no .torrent file or magnet link given (and no -i LIST)");
  }

  SessionOptions so;
  TorrentOptions o;
  const std::size_t named = parsed->positional.size() + lists.size();
  if (auto err = apply_swarm_options(*parsed, named, so, o)) return usage_error(*err);
  if (auto d = parsed->value("output")) o.directory = *d;
  o.direct_io = !parsed->has("buffered-io");
  o.preallocate = !parsed->has("sparse");
  if (auto v = parsed->value("seed-ratio")) {
    char* end = nullptr;
    double r = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !(r > 0) || r > 1e6) return usage_error("--seed-ratio must be a number above 0");
    o.seed_ratio = r;
  }
  unsigned long seed_minutes = 0, hash_threads = 0, stall = o.stall_timeout.count(), active = so.max_active;
  std::int64_t memory = static_cast<std::int64_t>(so.max_memory);
  for (auto err : {uint_option(*parsed, "seed-time", 1, 525600, seed_minutes, "minutes"),
                   size_option(*parsed, "max-memory", 1 << 20, memory),
                   uint_option(*parsed, "hash-threads", 1, 256, hash_threads),
                   uint_option(*parsed, "max-active", 1, 10000, active),
                   uint_option(*parsed, "stall-timeout", 1, 86400, stall, "seconds")}) {
    if (err) return usage_error(*err);
  }
  o.seed_time = std::chrono::minutes(seed_minutes);
  so.max_memory = static_cast<std::size_t>(memory);
  so.hash_threads = static_cast<unsigned>(hash_threads);
  so.max_active = static_cast<unsigned>(active);
  o.stall_timeout = std::chrono::seconds(stall);
  if (auto v = parsed->value("select")) {
    auto ranges = parse_file_ranges(*v);
    if (!ranges) return usage_error("--select: " + ranges.status().message());
    o.select_files = std::move(*ranges);
  }

  std::vector<TorrentSource> sources;
  if (auto err = collect_sources(parsed->positional, lists, sources)) {
    print_error(*err);
    return kExitIo;
  }
  if (sources.empty()) return usage_error("the list names no torrent");
  if (o.peers.empty() && !o.use_trackers) {
    return usage_error("--no-trackers without --peer: nowhere to find peers");
  }
  // One torrent with nowhere to find peers is a usage error, as it always
  // was; among several, such a torrent fails on its own.
  for (auto& src : sources) {
    if (src.magnet) {
      const bool nowhere = o.peers.empty() && src.magnet->peers.empty() && (src.magnet->trackers.empty() || !o.use_trackers);
      if (!nowhere) continue;
      const std::string why = "the magnet link names no tracker (tr=) and no peer (x.pe=), and no --peer is given: "
                              "nowhere to find peers";
      if (sources.size() == 1) return usage_error(why);
      src.magnet.reset();
      src.meta = Status(ErrorCode::network_error, why);
      continue;
    }
    if (!src.meta || !o.peers.empty() || !src.meta->trackers.empty()) continue;
    if (sources.size() == 1) return usage_error("no trackers and no --peer: nowhere to find peers");
    src.meta = Status(ErrorCode::network_error, src.meta->name + ": no trackers and no --peer: nowhere to find peers");
  }
  return run_torrents(so, o, std::move(sources),
                      RunStyle{.label = "downloading", .quiet = parsed->has("quiet"), .json = parsed->has("json")});
}

}  // namespace fluxo::cli
