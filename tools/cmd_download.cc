// fluxo download FILE.torrent [options]
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "core/metainfo.h"
#include "pipeline/download_engine.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/json_writer.h"
#include "tools/terminal.h"
#include "tools/torrent_file.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsage =
    "usage: fluxo download FILE.torrent [options]\n"
    "\n"
    "Downloads a torrent into a directory, verifying every piece. Exits 0 only\n"
    "when every byte is written and verified.\n"
    "\n"
    "  -o, --output DIR         download directory (default: the current one)\n"
    "      --peer HOST:PORT     connect to this peer too; repeatable; works with\n"
    "                           no tracker at all\n"
    "      --no-trackers        do not announce (use only --peer addresses)\n"
    "      --max-peers N        connections at once (default 50)\n"
    "      --port N             port announced to trackers (default 6881)\n"
    "      --max-memory SIZE    piece buffers in flight (default 64MiB, at least\n"
    "                           4 pieces)\n"
    "      --hash-threads N     hashing threads (default: one per core)\n"
    "      --buffered-io        write through the page cache; by default whole\n"
    "                           blocks are written with O_DIRECT, which skips a\n"
    "                           copy and leaves the page cache alone\n"
    "      --stall-timeout SECS give up after this long with no peer (default 60)\n"
    "      --request-timeout SECS  a peer that sends nothing for this long while\n"
    "                           unchoked is snubbed: its requests go to other\n"
    "                           peers; twice as long and it is dropped (default 20)\n"
    "      --tracker-ca FILE    also trust this CA (PEM) for HTTPS trackers\n"
    "      --insecure-tracker   accept any HTTPS tracker certificate (self-signed)\n"
    "  -q, --quiet              print nothing but errors\n"
    "      --json               newline-delimited JSON events on stdout\n"
    "  -h, --help               this text\n"
    "\n"
    "exit codes: 0 done, 2 bad command line, 3 invalid torrent, 4 file system\n"
    "error, 5 no usable peers, 130 interrupted\n";

std::atomic<bool> g_interrupt{false};

extern "C" void on_signal(int) {
  if (g_interrupt.exchange(true)) {
    // A second signal: leave now. Nothing unverified is ever reported complete.
    ::_exit(kExitInterrupted);
  }
}

int usage_error(const std::string& msg) {
  print_error(msg);
  std::fputs("(see fluxo download --help)\n", stderr);
  return kExitUsage;
}

bool parse_uint(const std::string& s, unsigned long max, unsigned long& out) {
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v > max || s[0] == '-') return false;
  out = v;
  return true;
}

const char* kind_name(DownloadEvent::Kind k) {
  switch (k) {
    case DownloadEvent::Kind::started: return "started";
    case DownloadEvent::Kind::progress: return "progress";
    case DownloadEvent::Kind::peer_banned: return "peer_banned";
    case DownloadEvent::Kind::peer_error: return "peer_error";
    case DownloadEvent::Kind::tracker_ok: return "tracker_ok";
    case DownloadEvent::Kind::tracker_error: return "tracker_error";
    case DownloadEvent::Kind::finished: return "finished";
  }
  return "unknown";
}

void print_json(const DownloadEvent& e, const Metainfo& m, const Status* status = nullptr) {
  JsonWriter j;
  j.begin_object().key("event").value(kind_name(e.kind));
  switch (e.kind) {
    case DownloadEvent::Kind::started:
      j.key("name").value(m.name).key("info_hash").value(m.info_hash.hex());
      j.key("total_bytes").value(e.total_bytes).key("pieces").value(m.piece_count());
      j.key("piece_length").value(m.piece_length).key("memory_cap").value(static_cast<std::uint64_t>(e.memory_cap));
      break;
    case DownloadEvent::Kind::progress:
      j.key("verified_bytes").value(e.verified_bytes).key("total_bytes").value(e.total_bytes);
      j.key("percent").value(e.total_bytes ? 100.0 * static_cast<double>(e.verified_bytes) / static_cast<double>(e.total_bytes) : 100.0);
      j.key("rate").value(e.rate).key("seconds").value(e.seconds);
      j.key("peers_connected").value(e.peers_connected).key("peers_known").value(static_cast<std::uint64_t>(e.peers_known));
      j.key("hash_failures").value(e.hash_failures).key("banned").value(static_cast<std::uint64_t>(e.banned));
      break;
    case DownloadEvent::Kind::finished:
      j.key("ok").value(status && status->is_ok());
      if (status && !status->is_ok()) j.key("error").value(status->message());
      j.key("bytes").value(e.verified_bytes).key("total_bytes").value(e.total_bytes);
      j.key("seconds").value(e.seconds).key("average_rate").value(e.rate);
      j.key("peers_used").value(e.peers_used).key("peers_known").value(static_cast<std::uint64_t>(e.peers_known));
      j.key("hash_failures").value(e.hash_failures).key("banned").value(static_cast<std::uint64_t>(e.banned));
      j.key("wasted_bytes").value(static_cast<std::uint64_t>(e.wasted_bytes));
      j.key("snubbed").value(e.snubbed);
      j.key("memory_cap").value(static_cast<std::uint64_t>(e.memory_cap));
      j.key("memory_peak").value(static_cast<std::uint64_t>(e.memory_peak));
      j.key("write_calls").value(static_cast<std::uint64_t>(e.write_calls));
      break;
    default:
      j.key("message").value(e.text);
      break;
  }
  j.end_object();
  std::printf("%s\n", j.str().c_str());
  std::fflush(stdout);
}

}  // namespace

int run_download(std::span<const std::string> args) {
  static const OptionSpec kSpecs[] = {
      {"output", 'o', true, false},        {"peer", 0, true, true},
      {"no-trackers", 0, false, false},    {"max-peers", 0, true, false},
      {"port", 0, true, false},            {"max-memory", 0, true, false},
      {"hash-threads", 0, true, false},    {"stall-timeout", 0, true, false},
      {"request-timeout", 0, true, false},
      {"buffered-io", 0, false, false},
      {"tracker-ca", 0, true, false},      {"insecure-tracker", 0, false, false},
      {"quiet", 'q', false, false},        {"json", 0, false, false},
      {"help", 'h', false, false},
  };
  auto parsed = parse_args(args, kSpecs);
  if (!parsed) return usage_error(parsed.status().message());
  if (parsed->has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (parsed->positional.size() != 1) return usage_error("download takes exactly one .torrent file");

  DownloadOptions o;
  if (auto d = parsed->value("output")) o.directory = *d;
  o.direct_io = !parsed->has("buffered-io");
  for (const auto& p : parsed->values("peer")) {
    PeerAddress a;
    if (!parse_peer_address(p, a)) return usage_error("--peer " + p + ": expected HOST:PORT");
    o.peers.push_back(a);
  }
  o.use_trackers = !parsed->has("no-trackers");
  unsigned long n = 0;
  if (auto v = parsed->value("max-peers")) {
    if (!parse_uint(*v, 2000, n) || n == 0) return usage_error("--max-peers must be 1..2000");
    o.max_peers = static_cast<unsigned>(n);
  }
  if (auto v = parsed->value("port")) {
    if (!parse_uint(*v, 65535, n) || n == 0) return usage_error("--port must be 1..65535");
    o.port = static_cast<std::uint16_t>(n);
  }
  if (auto v = parsed->value("max-memory")) {
    auto size = parse_size(*v);
    if (!size || *size < (1 << 20)) return usage_error("--max-memory must be a size of at least 1MiB");
    o.max_memory = static_cast<std::size_t>(*size);
  }
  if (auto v = parsed->value("hash-threads")) {
    if (!parse_uint(*v, 256, n) || n == 0) return usage_error("--hash-threads must be 1..256");
    o.hash_threads = static_cast<unsigned>(n);
  }
  if (auto v = parsed->value("stall-timeout")) {
    if (!parse_uint(*v, 86400, n) || n == 0) return usage_error("--stall-timeout must be 1..86400 seconds");
    o.stall_timeout = std::chrono::seconds(n);
  }
  if (auto v = parsed->value("request-timeout")) {
    if (!parse_uint(*v, 3600, n) || n == 0) return usage_error("--request-timeout must be 1..3600 seconds");
    o.session.request_timeout = std::chrono::seconds(n);
  }
  if (auto v = parsed->value("tracker-ca")) o.tracker.ca_file = *v;
  o.tracker.insecure = parsed->has("insecure-tracker");
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

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  ProgressLine line("downloading", !quiet && !json);
  auto on_event = [&](const DownloadEvent& e) {
    if (json) {
      print_json(e, *meta);
      return;
    }
    if (quiet) return;
    switch (e.kind) {
      case DownloadEvent::Kind::progress: {
        char extra[160];
        std::snprintf(extra, sizeof extra, "  peers %u/%zu  hash fails %u", e.peers_connected,
                      e.peers_known, e.hash_failures);
        line.update(e.verified_bytes, e.total_bytes, extra);
        break;
      }
      case DownloadEvent::Kind::peer_banned:
        line.finish();
        std::fprintf(stderr, "fluxo: banned peer %s (sent data that failed verification)\n", e.text.c_str());
        break;
      case DownloadEvent::Kind::tracker_error:
        line.finish();
        std::fprintf(stderr, "fluxo: warning: %s\n", e.text.c_str());
        break;
      default:
        break;
    }
  };
  auto result = fluxo::run_download(*meta, o, on_event, g_interrupt);
  line.finish();
  if (json) print_json(result.summary, *meta, &result.status);
  if (!result.status) {
    print_error(result.status.to_string());
    return exit_code_for(result.status.code());
  }
  if (!quiet && !json) {
    const auto& s = result.summary;
    std::printf("downloaded %s: %s in %.2f s (%s/s) from %u peer%s, %u hash failure%s\n", meta->name.c_str(),
                human_bytes(s.verified_bytes).c_str(), s.seconds,
                human_bytes(static_cast<std::int64_t>(s.rate)).c_str(), s.peers_used,
                s.peers_used == 1 ? "" : "s", s.hash_failures, s.hash_failures == 1 ? "" : "s");
  }
  return kExitOk;
}

}  // namespace fluxo::cli
