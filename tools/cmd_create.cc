// fluxo create PATH -o OUT.torrent [options]
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>

#include "core/metainfo.h"
#include "core/torrent_builder.h"
#include "pipeline/piece_hasher.h"
#include "storage/payload_listing.h"
#include "storage/payload_reader.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/terminal.h"
#include "tools/torrent_file.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsage =
    "usage: fluxo create PATH -o OUT.torrent [options]\n"
    "\n"
    "Makes a v1 .torrent of a file or a directory. Pieces are hashed in\n"
    "parallel on every core. Files in a directory are taken in sorted order;\n"
    "symbolic links and special files are skipped (and listed on stderr).\n"
    "\n"
    "  -o, --output FILE       where to write the .torrent (required)\n"
    "  -t, --tracker URL       announce URL; repeat for more tiers, and separate\n"
    "                          URLs of one tier with commas\n"
    "      --piece-size SIZE   auto (default: a power of two from 16 KiB to\n"
    "                          16 MiB giving about 1000-2000 pieces) or a power of\n"
    "                          two from 16KiB to 256MiB, e.g. 262144 or 1MiB\n"
    "      --private           set the private flag (BEP 27)\n"
    "      --comment TEXT      free-text comment\n"
    "      --web-seed URL      web seed (BEP 19); repeatable\n"
    "      --no-date           leave out the creation date (reproducible output;\n"
    "                          SOURCE_DATE_EPOCH is honoured too)\n"
    "      --threads N         hashing threads (default: one per core)\n"
    "      --force             overwrite OUT if it exists (only ever a regular\n"
    "                          file: never a device, FIFO or directory)\n"
    "  -q, --quiet             print nothing but errors\n"
    "  -h, --help              this text\n";

class ReaderSource : public PieceSource {
 public:
  explicit ReaderSource(PayloadReader& r) : r_(&r) {}
  Status read(std::span<std::uint8_t> out) override { return r_->read(out); }

 private:
  PayloadReader* r_;
};

int fail(const Status& s) {
  print_error(s.to_string());
  return exit_code_for(s.code());
}

int usage_error(const std::string& msg) { return print_usage_error("create", msg); }

}  // namespace

int run_create(std::span<const std::string> args) {
  static const OptionSpec kSpecs[] = {
      {"output", 'o', true, false},     {"tracker", 't', true, true},
      {"piece-size", 0, true, false},   {"private", 0, false, false},
      {"comment", 0, true, false},      {"web-seed", 0, true, true},
      {"no-date", 0, false, false},     {"threads", 0, true, false},
      {"force", 0, false, false},       {"quiet", 'q', false, false},
      {"help", 'h', false, false},
  };
  auto parsed = parse_args(args, kSpecs);
  if (!parsed) return usage_error(parsed.status().message());
  if (parsed->has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (parsed->positional.size() != 1) return usage_error("create takes exactly one PATH");
  auto output = parsed->value("output");
  if (!output) return usage_error("create needs -o OUT.torrent");
  bool quiet = parsed->has("quiet");

  std::int64_t piece_length = 0;  // 0: auto
  if (auto ps = parsed->value("piece-size"); ps && *ps != "auto") {
    auto v = parse_size(*ps);
    if (!v || *v < (16 << 10) || *v > (256 << 20) || (*v & (*v - 1)) != 0) {
      return usage_error("--piece-size must be auto or a power of two from 16KiB to 256MiB");
    }
    piece_length = *v;
  }
  unsigned threads = 0;
  if (auto t = parsed->value("threads")) {
    char* end = nullptr;
    long n = std::strtol(t->c_str(), &end, 10);
    if (end == t->c_str() || *end != '\0' || n < 1 || n > 256) return usage_error("--threads must be 1..256");
    threads = static_cast<unsigned>(n);
  }
  // Before any hashing, and whether or not --force was given.
  if (Status s = check_output_is_replaceable(*output); !s) return fail(s);
  if (!parsed->has("force") && std::filesystem::exists(*output)) {
    return usage_error(*output + " exists; pass --force to overwrite it");
  }

  auto listing = list_payload(parsed->positional[0]);
  if (!listing) return fail(listing.status());
  if (!quiet) {
    for (const auto& s : listing->skipped) std::fprintf(stderr, "fluxo: skipped %s\n", printable(s).c_str());
  }
  if (listing->total_size == 0) {
    return fail(Status(ErrorCode::invalid_argument,
                       parsed->positional[0] + ": nothing to put in a torrent (no data)"));
  }
  if (piece_length == 0) piece_length = auto_piece_length(listing->total_size);

  TorrentSpec spec;
  spec.name = listing->name;
  spec.single_file = listing->single_file;
  spec.piece_length = piece_length;
  for (const auto& f : listing->files) spec.files.push_back({f.components, f.size, f.executable ? "x" : ""});
  for (const auto& t : parsed->values("tracker")) {
    std::vector<std::string> tier;
    std::size_t start = 0;
    while (start <= t.size()) {
      auto comma = t.find(',', start);
      std::string url = t.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!url.empty()) tier.push_back(url);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (!tier.empty()) spec.trackers.push_back(std::move(tier));
  }
  spec.web_seeds = parsed->values("web-seed");
  spec.is_private = parsed->has("private");
  spec.comment = parsed->value("comment").value_or("");
  spec.created_by = "fluxo/" FLUXO_VERSION;
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH")) {
    spec.creation_date = std::strtoll(sde, nullptr, 10);
  } else if (!parsed->has("no-date")) {
    spec.creation_date = static_cast<std::int64_t>(std::time(nullptr));
  }

  PayloadReader reader(listing->files);
  ReaderSource source(reader);
  ProgressLine progress("hashing", !quiet);
  HashOptions options;
  options.threads = threads;
  options.progress = [&](std::int64_t done) { progress.update(done, listing->total_size); };
  auto hashes = hash_pieces(source, listing->total_size, piece_length, options);
  progress.finish();
  if (!hashes) return fail(hashes.status());
  spec.piece_hashes = std::move(*hashes);

  std::string torrent = build_torrent(spec);
  // Our own output must pass our own validation (it checks names too).
  auto check = parse_metainfo(torrent);
  if (!check) return fail(Status(check.status().code(), "the result would be invalid: " + check.status().message()));
  if (Status s = write_file_atomically(*output, torrent); !s) return fail(s);
  if (!quiet) {
    for (const auto& w : check->warnings) print_warning(w);
    std::printf("created %s\n", printable(*output).c_str());
    std::printf("info-hash:  %s\n", check->info_hash.hex().c_str());
    std::printf("size:       %s in %zu file%s\n", human_bytes(check->total_size).c_str(),
                check->files.size(), check->files.size() == 1 ? "" : "s");
    std::printf("pieces:     %u x %s\n", check->piece_count(), human_bytes(piece_length).c_str());
  }
  return kExitOk;
}

}  // namespace fluxo::cli
