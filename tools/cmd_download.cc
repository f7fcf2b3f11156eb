// fluxo download FILE.torrent [options]
#include <cstdio>
#include <string>

#include "core/metainfo.h"
#include "pipeline/download_engine.h"
#include "pipeline/thread_budget.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/swarm_cli.h"
#include "tools/terminal.h"
#include "tools/torrent_file.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsageHead =
    "usage: fluxo download FILE.torrent [options]\n"
    "\n"
    "Downloads a torrent into a directory, verifying every piece, and serves\n"
    "verified pieces to other peers meanwhile. By default it stops when the\n"
    "download is complete (a bulk fetch); --seed-ratio and --seed-time keep it\n"
    "seeding. An interrupted download continues where it stopped: from its\n"
    "resume data in DIR/.fluxo/, or by rechecking the data it finds. Exits 0\n"
    "only when every byte is written and verified.\n"
    "\n"
    "  -o, --output DIR         download directory (default: the current one)\n"
    "      --seed-ratio R       after completion, seed until R x the torrent's\n"
    "                           size is uploaded\n"
    "      --seed-time MINUTES  after completion, seed this long (with both, the\n"
    "                           first limit reached ends it)\n"
    "      --max-memory SIZE    piece buffers in flight (default 64MiB, at least\n"
    "                           4 pieces)\n"
    "      --hash-threads N     hashing threads (default: one per core)\n"
    "      --buffered-io        write through the page cache; by default whole\n"
    "                           blocks are written with O_DIRECT, which skips a\n"
    "                           copy and leaves the page cache alone\n"
    "      --stall-timeout SECS give up after this long without a block from any\n"
    "                           peer (default 60; connected peers that send\n"
    "                           nothing useful do not count)\n";

constexpr const char* kUsageTail =
    "\n"
    "exit codes: 0 done, 2 bad command line, 3 invalid torrent, 4 file system\n"
    "error, 5 no usable peers, 130 interrupted\n";

int usage_error(const std::string& msg) { return print_usage_error("download", msg); }

}  // namespace

int run_download(std::span<const std::string> args) {
  std::vector<OptionSpec> specs = swarm_option_specs();
  specs.insert(specs.end(), {{"output", 'o', true, false},
                             {"seed-ratio", 0, true, false},
                             {"seed-time", 0, true, false},
                             {"max-memory", 0, true, false},
                             {"hash-threads", 0, true, false},
                             {"buffered-io", 0, false, false},
                             {"stall-timeout", 0, true, false}});
  auto parsed = parse_args(args, specs);
  if (!parsed) return usage_error(parsed.status().message());
  if (parsed->has("help")) {
    std::fputs(kUsageHead, stdout);
    std::fputs(kSwarmOptionsHelp, stdout);
    std::fputs(kUsageTail, stdout);
    return kExitOk;
  }
  if (parsed->positional.size() != 1) return usage_error("download takes exactly one .torrent file");

  DownloadOptions o;
  if (auto err = apply_swarm_options(*parsed, o)) return usage_error(*err);
  if (auto d = parsed->value("output")) o.directory = *d;
  o.direct_io = !parsed->has("buffered-io");
  if (auto v = parsed->value("seed-ratio")) {
    char* end = nullptr;
    double r = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !(r > 0) || r > 1e6) return usage_error("--seed-ratio must be a number above 0");
    o.seed_ratio = r;
  }
  unsigned long seed_minutes = 0, hash_threads = 0, stall = o.stall_timeout.count();
  std::int64_t memory = static_cast<std::int64_t>(o.max_memory);
  for (auto err : {uint_option(*parsed, "seed-time", 1, 525600, seed_minutes, "minutes"),
                   size_option(*parsed, "max-memory", 1 << 20, memory),
                   uint_option(*parsed, "hash-threads", 1, 256, hash_threads),
                   uint_option(*parsed, "stall-timeout", 1, 86400, stall, "seconds")}) {
    if (err) return usage_error(*err);
  }
  o.seed_time = std::chrono::minutes(seed_minutes);
  o.max_memory = static_cast<std::size_t>(memory);
  o.hash_threads = static_cast<unsigned>(hash_threads);
  o.stall_timeout = std::chrono::seconds(stall);
  const bool quiet = parsed->has("quiet");
  const bool json = parsed->has("json");

  auto meta = load_torrent_file(parsed->positional[0]);
  if (!meta) {
    print_error(meta.status().to_string());
    return exit_code_for(meta.status().code());
  }
  if (o.peers.empty() && (!o.use_trackers || meta->trackers.empty())) {
    return usage_error("no trackers and no --peer: nowhere to find peers");
  }

  install_signal_handlers();
  ThreadBudget budget(o.max_peers, o.hash_threads);  // before anything uses oneTBB (a recheck may)
  EventPrinter printer(*meta, "downloading", quiet, json);
  auto result = fluxo::run_download(*meta, o, std::ref(printer), g_interrupt);
  printer.finish();
  if (json) print_event_json(result.summary, *meta, &result.status);
  if (!result.status) {
    print_error(result.status.to_string());
    return exit_code_for(result.status.code());
  }
  if (!quiet && !json) {
    const auto& s = result.summary;
    std::printf("downloaded %s: %s in %.2f s (%s/s) from %u peer%s, %u hash failure%s, %s uploaded\n",
                printable(meta->name).c_str(), human_bytes(s.verified_bytes).c_str(), s.seconds,
                human_bytes(static_cast<std::int64_t>(s.rate)).c_str(), s.peers_used, s.peers_used == 1 ? "" : "s",
                s.hash_failures, s.hash_failures == 1 ? "" : "s",
                human_bytes(static_cast<std::int64_t>(s.uploaded_bytes)).c_str());
  }
  return kExitOk;
}

}  // namespace fluxo::cli
