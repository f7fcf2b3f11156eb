// fluxo verify FILE.torrent -d DIR [--json] [--quiet] [--hash-threads N]
#include <cstdio>
#include <map>
#include <string>

#include "core/metainfo.h"
#include "pipeline/verifier.h"
#include "storage/file_storage.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/json_writer.h"
#include "tools/swarm_cli.h"
#include "tools/terminal.h"
#include "tools/torrent_file.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsage =
    "usage: fluxo verify FILE.torrent [-d DIR] [options]\n"
    "\n"
    "Rechecks a torrent's data in DIR against its piece hashes, in parallel on\n"
    "every core with bounded memory, and reports complete, missing and corrupt\n"
    "pieces and the files they touch. Reads only; changes nothing.\n"
    "\n"
    "  -d, --dir DIR            where the torrent's files are (default: the\n"
    "                           current directory)\n"
    "      --hash-threads N     hashing threads (default: one per core)\n"
    "      --max-memory SIZE    piece buffers in flight (default 64MiB)\n"
    "  -q, --quiet              print nothing but errors\n"
    "      --json               one JSON object with the report on stdout\n"
    "  -h, --help               this text\n"
    "\n"
    "exit codes: 0 every piece verifies, 2 bad command line, 3 invalid torrent,\n"
    "4 file system error, 6 pieces missing or corrupt, 130 interrupted\n";

int usage_error(const std::string& msg) { return print_usage_error("verify", msg); }

struct FileVerdict {
  std::uint32_t missing = 0;
  std::uint32_t corrupt = 0;
};

// Which files each listed piece touches (pad files left out).
void blame(const Metainfo& m, const std::vector<std::uint32_t>& pieces, bool corrupt,
           std::map<std::size_t, FileVerdict>& out) {
  for (std::uint32_t p : pieces) {
    std::int64_t lo = static_cast<std::int64_t>(p) * m.piece_length;
    std::int64_t hi = lo + m.piece_size(PieceIndex(p));
    for (std::size_t f = 0; f < m.files.size(); ++f) {
      const auto& file = m.files[f];
      if (file.pad || file.size == 0 || file.offset >= hi || file.offset + file.size <= lo) continue;
      (corrupt ? out[f].corrupt : out[f].missing) += 1;
    }
  }
}

}  // namespace

int run_verify(std::span<const std::string> args) {
  static const OptionSpec kSpecs[] = {
      {"dir", 'd', true, false},   {"hash-threads", 0, true, false}, {"max-memory", 0, true, false},
      {"quiet", 'q', false, false}, {"json", 0, false, false},       {"help", 'h', false, false},
  };
  auto parsed = parse_args(args, kSpecs);
  if (!parsed) return usage_error(parsed.status().message());
  if (parsed->has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (parsed->positional.size() != 1) return usage_error("verify takes exactly one .torrent file");
  std::string dir = parsed->value("dir").value_or(".");
  HashOptions hash;
  unsigned long threads = 0;
  std::int64_t memory = static_cast<std::int64_t>(hash.max_bytes_in_flight);
  if (auto err = uint_option(*parsed, "hash-threads", 1, 256, threads)) return usage_error(*err);
  if (auto err = size_option(*parsed, "max-memory", 1 << 20, memory)) return usage_error(*err);
  hash.threads = static_cast<unsigned>(threads);
  hash.max_bytes_in_flight = static_cast<std::size_t>(memory);
  const bool quiet = parsed->has("quiet");
  const bool json = parsed->has("json");
  auto meta = load_torrent_file(parsed->positional[0]);
  if (!meta) {
    print_error(meta.status().to_string());
    return exit_code_for(meta.status().code());
  }
  auto storage = FileStorage::open(*meta, dir, {.read_only = true});
  if (!storage) {
    print_error(storage.status().to_string());
    return exit_code_for(storage.status().code());
  }
  install_signal_handlers();
  ProgressLine line("verifying", !quiet && !json);
  hash.progress = [&](std::int64_t done) { line.update(done, meta->total_size); };
  hash.cancel = &g_interrupt;  // Ctrl-C stops the recheck, not just what follows it
  auto report = verify_pieces(*meta, **storage, hash);
  line.finish();
  if (g_interrupt.load()) return kExitInterrupted;
  if (!report) {
    print_error(report.status().to_string());
    return exit_code_for(report.status().code());
  }
  std::map<std::size_t, FileVerdict> files;
  blame(*meta, report->missing, false, files);
  blame(*meta, report->corrupt, true, files);
  const bool complete = report->complete.all();
  if (json) {
    JsonWriter j;
    j.begin_object().key("ok").value(complete).key("pieces").value(meta->piece_count());
    j.key("complete").value(report->complete.count());
    j.key("complete_bytes").value(report->complete_bytes).key("total_bytes").value(meta->total_size);
    j.key("missing").begin_array();
    for (auto p : report->missing) j.value(p);
    j.end_array().key("corrupt").begin_array();
    for (auto p : report->corrupt) j.value(p);
    j.end_array().key("files").begin_array();
    for (const auto& [f, v] : files) {
      j.begin_object().key("path").value(meta->files[f].path);
      j.key("missing_pieces").value(v.missing).key("corrupt_pieces").value(v.corrupt).end_object();
    }
    j.end_array().end_object();
    std::printf("%s\n", j.str().c_str());
  } else if (!quiet) {
    std::printf("%s: %u of %u pieces verify (%s of %s); %zu missing, %zu corrupt\n", printable(meta->name).c_str(),
                report->complete.count(), meta->piece_count(), human_bytes(report->complete_bytes).c_str(),
                human_bytes(meta->total_size).c_str(), report->missing.size(), report->corrupt.size());
    for (const auto& [f, v] : files) {
      std::printf("  %s: %u piece%s missing, %u corrupt\n", printable(meta->files[f].path).c_str(), v.missing,
                  v.missing == 1 ? "" : "s", v.corrupt);
    }
  }
  return complete ? kExitOk : kExitIncomplete;
}

}  // namespace fluxo::cli
