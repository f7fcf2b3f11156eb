// fluxo seed FILE.torrent -d DIR [options]
#include <cstdio>
#include <string>

#include "core/metainfo.h"
#include "pipeline/download_engine.h"
#include "pipeline/thread_budget.h"
#include "pipeline/verifier.h"
#include "storage/file_storage.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/swarm_cli.h"
#include "tools/terminal.h"
#include "tools/torrent_file.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsageHead =
    "usage: fluxo seed FILE.torrent -d DIR [options]\n"
    "\n"
    "Serves a torrent's data from DIR to other peers until interrupted. The data\n"
    "is rechecked first (in parallel, memory bounded); only pieces that verify\n"
    "are offered, and every piece is checked again when it is read for a peer.\n"
    "Nothing in DIR is created or changed.\n"
    "\n"
    "  -d, --dir DIR            where the torrent's files are (default: the\n"
    "                           current directory)\n"
    "      --hash-threads N     recheck threads (default: one per core)\n"
    "      --upload-cache SIZE  memory for pieces being served (default 32MiB)\n";

constexpr const char* kUsageTail =
    "\n"
    "exit codes: 0 stopped by a signal after seeding, 2 bad command line,\n"
    "3 invalid torrent, 4 file system error, 5 cannot listen, 6 no piece of the\n"
    "data verifies\n";

int usage_error(const std::string& msg) { return print_usage_error("seed", msg); }

}  // namespace

int run_seed(std::span<const std::string> args) {
  std::vector<OptionSpec> specs = swarm_option_specs();
  specs.insert(specs.end(), {{"dir", 'd', true, false}, {"hash-threads", 0, true, false},
                             {"upload-cache", 0, true, false}});
  auto parsed = parse_args(args, specs);
  if (!parsed) return usage_error(parsed.status().message());
  if (parsed->has("help")) {
    std::fputs(kUsageHead, stdout);
    std::fputs(kSwarmOptionsHelp, stdout);
    std::fputs(kUsageTail, stdout);
    return kExitOk;
  }
  if (parsed->positional.size() != 1) return usage_error("seed takes exactly one .torrent file");

  DownloadOptions o;
  if (auto err = apply_swarm_options(*parsed, o)) return usage_error(*err);
  if (auto d = parsed->value("dir")) o.directory = *d;
  HashOptions hash;
  unsigned long threads = 0;
  std::int64_t cache = static_cast<std::int64_t>(o.upload_cache);
  if (auto err = uint_option(*parsed, "hash-threads", 1, 256, threads)) return usage_error(*err);
  if (auto err = size_option(*parsed, "upload-cache", 1 << 20, cache)) return usage_error(*err);
  hash.threads = static_cast<unsigned>(threads);
  o.upload_cache = static_cast<std::size_t>(cache);
  if (!o.listen && o.peers.empty()) return usage_error("--no-listen without --peer: no peer could ever reach us");
  const bool quiet = parsed->has("quiet");
  const bool json = parsed->has("json");

  auto meta = load_torrent_file(parsed->positional[0]);
  if (!meta) {
    print_error(meta.status().to_string());
    return exit_code_for(meta.status().code());
  }
  install_signal_handlers();
  ThreadBudget budget(o.max_peers, hash.threads);  // before the recheck first uses oneTBB

  // Recheck: only what verifies is served.
  auto storage = FileStorage::open(*meta, o.directory, {.read_only = true});
  if (!storage) {
    print_error(storage.status().to_string());
    return exit_code_for(storage.status().code());
  }
  ProgressLine line("checking", !quiet && !json);
  hash.progress = [&](std::int64_t done) { line.update(done, meta->total_size); };
  hash.cancel = &g_interrupt;  // Ctrl-C stops the recheck, not just what follows it
  auto report = verify_pieces(*meta, **storage, hash);
  line.finish();
  storage->reset();
  if (g_interrupt.load()) return kExitInterrupted;
  if (!report) {
    print_error(report.status().to_string());
    return exit_code_for(report.status().code());
  }
  if (report->complete.none()) {
    print_error("no piece of " + meta->name + " in " + o.directory.string() + " verifies: nothing to seed");
    return kExitIncomplete;
  }
  if (!report->complete.all() && !quiet) {
    std::fprintf(stderr, "fluxo: warning: %zu piece%s missing and %zu corrupt; serving the %u that verify\n",
                 report->missing.size(), report->missing.size() == 1 ? "" : "s", report->corrupt.size(),
                 report->complete.count());
  }
  if (g_interrupt.load()) return kExitInterrupted;

  o.verified = std::move(report->complete);
  o.download = false;
  o.seed_forever = true;
  o.direct_io = false;
  EventPrinter printer(*meta, "seeding", quiet, json);
  auto result = fluxo::run_download(*meta, o, std::ref(printer), g_interrupt);
  printer.finish();
  // A signal is how seeding normally ends.
  const Status end = result.status.code() == ErrorCode::cancelled ? Status::ok() : result.status;
  if (json) print_event_json(result.summary, *meta, &end);
  if (!result.status && result.status.code() != ErrorCode::cancelled) {
    print_error(result.status.to_string());
    return exit_code_for(result.status.code());
  }
  if (!quiet && !json) {
    std::printf("seeded %s: %s uploaded in %.0f s\n", printable(meta->name).c_str(),
                human_bytes(static_cast<std::int64_t>(result.summary.uploaded_bytes)).c_str(), result.summary.seconds);
  }
  return kExitOk;
}

}  // namespace fluxo::cli
