// The fluxo command: dispatches to a subcommand. Only wiring lives here.
#include <oneapi/tbb/global_control.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/terminal.h"

namespace {

constexpr const char* kUsage =
    "usage: fluxo COMMAND [ARGS]\n"
    "\n"
    "fluxo is a BitTorrent client for high-throughput bulk fetching.\n"
    "\n"
    "commands:\n"
    "  info FILE.torrent|MAGNET   show what a torrent or magnet link describes\n"
    "  create PATH -o OUT         make a .torrent of a file or directory\n"
    "  download FILE.torrent|MAGNET  download torrents, verifying every piece\n"
    "  seed FILE.torrent -d DIR   recheck a torrent's data and serve it to peers\n"
    "  verify FILE.torrent -d DIR recheck a torrent's data against its hashes\n"
    "  scrape FILE.torrent|MAGNET ask the trackers how many seed and leech\n"
    "  fetch-metadata MAGNET -o OUT  write a magnet link's .torrent, from peers\n"
    "  bench [--size 1GiB]        a self-contained loopback swarm benchmark\n"
    "\n"
    "  fluxo COMMAND --help       help for one command\n"
    "  fluxo --version            print the version\n"
    "\n"
    "exit codes: 0 success, 1 failure, 2 bad command line, 3 invalid or\n"
    "unsupported input, 4 file system error, 5 no usable peers or trackers,\n"
    "6 data incomplete or corrupt, 130 interrupted\n";

int dispatch(const std::vector<std::string>& args) {
  using namespace fluxo::cli;
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::string_view cmd = args[0];
  std::span<const std::string> rest(args.data() + 1, args.size() - 1);
  try {
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    if (cmd == "--version" || cmd == "-V" || cmd == "version") {
      std::printf("fluxo %s\n", FLUXO_VERSION);
      return kExitOk;
    }
    if (cmd == "info") return run_info(rest);
    if (cmd == "create") return run_create(rest);
    if (cmd == "download") return run_download(rest);
    if (cmd == "seed") return run_seed(rest);
    if (cmd == "bench") return run_bench(rest);
    if (cmd == "verify") return run_verify(rest);
    if (cmd == "scrape") return run_scrape(rest);
    if (cmd == "fetch-metadata") return run_fetch_metadata(rest);
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(std::string("internal error: ") + e.what());
    return kExitFailure;
  }
  print_error("unknown command \"" + std::string(cmd) + "\"");
  std::fputs(kUsage, stderr);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // oneTBB's worker threads are joined before the process exits, not left
  // running into exit (the handle only counts; the thread budget is still
  // decided by the command, before oneTBB is first used).
  oneapi::tbb::task_scheduler_handle workers{oneapi::tbb::attach{}};
  int code = dispatch(std::vector<std::string>(argv + 1, argv + argc));
  (void)oneapi::tbb::finalize(workers, std::nothrow);
  return code;
}
