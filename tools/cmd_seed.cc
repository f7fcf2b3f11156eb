// fluxo seed FILE.torrent... -d DIR [options]
#include <cstdio>
#include <string>

#include "session/session.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/swarm_cli.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsageHead =
    "usage: fluxo seed FILE.torrent... -d DIR [-i LIST] [options]\n"
    "\n"
    "Serves torrents' data from DIR to other peers until interrupted, all from\n"
    "one process and one listening port. Each torrent's data is rechecked first\n"
    "(one torrent at a time, in parallel, memory bounded); only pieces that\n"
    "verify are offered, and every piece is checked again when it is read for\n"
    "a peer. Nothing in DIR is created or changed.\n"
    "\n"
    "  -d, --dir DIR            where the torrents' files are (default: the\n"
    "                           current directory)\n"
    "  -i, --input-file LIST    also the torrents listed in LIST, one path per\n"
    "                           line (# comments; - is standard input)\n"
    "      --hash-threads N     recheck threads (default: one per core)\n"
    "      --upload-cache SIZE  memory for pieces being served, per torrent\n"
    "                           (default 32MiB)\n";

constexpr const char* kUsageTail =
    "\n"
    "exit codes: 0 stopped by a signal after seeding, 2 bad command line,\n"
    "3 invalid torrent, 4 file system error, 5 cannot listen, 6 no piece of the\n"
    "data verifies. With several torrents, the highest code among their\n"
    "failures.\n";

int usage_error(const std::string& msg) { return print_usage_error("seed", msg); }

}  // namespace

int run_seed(std::span<const std::string> args) {
  int exit = kExitOk;
  auto parsed = parse_swarm_command(args,
                                    {{"dir", 'd', true, false},
                                     {"hash-threads", 0, true, false},
                                     {"upload-cache", 0, true, false},
                                     {"input-file", 'i', true, true}},
                                    SwarmUsage{"seed", kUsageHead, kUsageTail}, exit);
  if (!parsed) return exit;
  const auto lists = parsed->values("input-file");
  if (parsed->positional.empty() && lists.empty()) return usage_error("no .torrent file given (and no -i LIST)");

  SessionOptions so;
  TorrentOptions o;
  if (auto err = apply_swarm_options(*parsed, parsed->positional.size() + lists.size(), so, o)) return usage_error(*err);
  if (auto d = parsed->value("dir")) o.directory = *d;
  unsigned long threads = 0;
  std::int64_t cache = static_cast<std::int64_t>(o.upload_cache);
  if (auto err = uint_option(*parsed, "hash-threads", 1, 256, threads)) return usage_error(*err);
  if (auto err = size_option(*parsed, "upload-cache", 1 << 20, cache)) return usage_error(*err);
  so.hash_threads = static_cast<unsigned>(threads);
  o.upload_cache = static_cast<std::size_t>(cache);
  if (!so.listen && o.peers.empty()) return usage_error("--no-listen without --peer: no peer could ever reach us");
  o.download = false;
  o.seed_forever = true;
  o.direct_io = false;

  std::vector<TorrentSource> sources;
  if (auto err = collect_sources(parsed->positional, lists, sources)) {
    print_error(*err);
    return kExitIo;
  }
  if (sources.empty()) return usage_error("the list names no torrent");
  for (auto& src : sources) {
    if (!src.magnet) continue;
    // Nothing to seed before its data is here: download it first.
    if (sources.size() == 1) return usage_error("a magnet link cannot be seeded: download it first (fluxo download)");
    src.magnet.reset();
    src.meta = Status(ErrorCode::invalid_argument, "a magnet link cannot be seeded: download it first");
  }
  return run_torrents(so, o, std::move(sources),
                      RunStyle{.label = "seeding", .quiet = parsed->has("quiet"), .json = parsed->has("json"),
                               .serve_only = true});
}

}  // namespace fluxo::cli
