#include "tools/swarm_cli.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "core/tracker_response.h"
#include "tools/exit_codes.h"
#include "tools/json_writer.h"

namespace fluxo::cli {

std::atomic<bool> g_interrupt{false};

namespace {

extern "C" void on_signal(int) {
  if (g_interrupt.exchange(true)) {
    // A second signal: leave now. Nothing unverified is ever reported complete.
    ::_exit(kExitInterrupted);
  }
}

const char* kind_name(DownloadEvent::Kind k) {
  switch (k) {
    case DownloadEvent::Kind::started: return "started";
    case DownloadEvent::Kind::listening: return "listening";
    case DownloadEvent::Kind::progress: return "progress";
    case DownloadEvent::Kind::peer_banned: return "peer_banned";
    case DownloadEvent::Kind::peer_error: return "peer_error";
    case DownloadEvent::Kind::tracker_ok: return "tracker_ok";
    case DownloadEvent::Kind::tracker_error: return "tracker_error";
    case DownloadEvent::Kind::completed: return "completed";
    case DownloadEvent::Kind::piece_lost: return "piece_lost";
    case DownloadEvent::Kind::resume: return "resume";
    case DownloadEvent::Kind::finished: return "finished";
  }
  return "unknown";
}

}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}


std::vector<OptionSpec> swarm_option_specs() {
  return {
      {"peer", 0, true, true},          {"no-trackers", 0, false, false}, {"max-peers", 0, true, false},
      {"port", 0, true, false},         {"listen", 0, true, false},       {"no-listen", 0, false, false},
      {"upload-slots", 0, true, false}, {"request-timeout", 0, true, false}, {"upload-limit", 0, true, false},
      {"tracker-ca", 0, true, false},   {"insecure-tracker", 0, false, false},
      {"max-peers-per-ip", 0, true, false}, {"tracker-timeout", 0, true, false},
      {"quiet", 'q', false, false},     {"json", 0, false, false},        {"help", 'h', false, false},
  };
}

const char* const kSwarmOptionsHelp =
    "      --peer HOST:PORT     connect to this peer too; repeatable; works with\n"
    "                           no tracker at all\n"
    "      --no-trackers        do not announce (use only --peer addresses)\n"
    "      --max-peers N        connections at once (default 50); while\n"
    "                           downloading at most half of them incoming; a\n"
    "                           useless peer (nothing to trade, idle) makes room\n"
    "                           for a new one when all are taken\n"
    "      --max-peers-per-ip N  connections from one IP address (default 2)\n"
    "      --port N             listen for peers on N, or the next free port\n"
    "                           (default 6881); announced to trackers\n"
    "      --listen ADDR        listen on this address only (default: all IPv4);\n"
    "                           outgoing connections come from it too\n"
    "      --no-listen          accept no incoming connections\n"
    "      --upload-slots N     peers unchoked by upload rate or their rate to\n"
    "                           us (default 4), plus one optimistic unchoke\n"
    "      --upload-limit RATE  bytes per second to all peers together, e.g.\n"
    "                           10MiB (default: no limit)\n"
    "      --request-timeout SECS  a peer that sends nothing for this long while\n"
    "                           unchoked is snubbed: its requests go to other\n"
    "                           peers; twice as long and it is dropped (default 20)\n"
    "      --tracker-ca FILE    also trust this CA (PEM) for HTTPS trackers\n"
    "      --insecure-tracker   accept any HTTPS tracker certificate (self-signed)\n"
    "      --tracker-timeout SECS  deadline for a whole announce; a tracker that\n"
    "                           misses it is skipped for the next (default 15)\n"
    "  -q, --quiet              print nothing but errors\n"
    "      --json               newline-delimited JSON events on stdout\n"
    "  -h, --help               this text\n";

std::optional<std::string> apply_swarm_options(const ParsedArgs& args, DownloadOptions& o) {
  for (const auto& p : args.values("peer")) {
    PeerAddress a;
    if (!parse_peer_address(p, a)) return "--peer " + p + ": expected HOST:PORT";
    o.peers.push_back(a);
  }
  o.use_trackers = !args.has("no-trackers");
  unsigned long peers = o.max_peers, port = o.port, slots = o.upload_slots, per_ip = o.max_per_ip,
                request_timeout = static_cast<unsigned long>(o.session.request_timeout.count() / 1000),
                tracker_timeout = static_cast<unsigned long>(o.tracker.timeout.count() / 1000);
  for (auto err : {uint_option(args, "max-peers", 1, 2000, peers), uint_option(args, "port", 1, 65535, port),
                   uint_option(args, "upload-slots", 1, 1000, slots),
                   uint_option(args, "max-peers-per-ip", 1, 2000, per_ip),
                   uint_option(args, "request-timeout", 1, 3600, request_timeout, "seconds"),
                   uint_option(args, "tracker-timeout", 1, 3600, tracker_timeout, "seconds")}) {
    if (err) return err;
  }
  o.max_peers = static_cast<unsigned>(peers);
  o.max_per_ip = static_cast<unsigned>(per_ip);
  o.tracker.timeout = std::chrono::seconds(tracker_timeout);
  o.port = static_cast<std::uint16_t>(port);
  o.upload_slots = static_cast<unsigned>(slots);
  o.session.request_timeout = std::chrono::seconds(request_timeout);
  if (auto v = args.value("listen")) o.listen_address = *v;
  o.listen = !args.has("no-listen");
  if (auto v = args.value("upload-limit")) {
    auto rate = parse_size(*v);
    if (!rate || *rate < 1024) return std::string("--upload-limit must be at least 1KiB (per second)");
    o.upload_limit = static_cast<double>(*rate);
  }
  if (auto v = args.value("tracker-ca")) o.tracker.ca_file = *v;
  o.tracker.insecure = args.has("insecure-tracker");
  return std::nullopt;
}

void print_event_json(const DownloadEvent& e, const Metainfo& m, const Status* status) {
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
      j.key("uploaded_bytes").value(e.uploaded_bytes).key("upload_rate").value(e.upload_rate);
      break;
    case DownloadEvent::Kind::completed:
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
      j.key("uploaded_bytes").value(e.uploaded_bytes).key("incoming").value(e.incoming);
      j.key("refused").value(e.refused).key("evicted").value(e.evicted);
      break;
    default:
      j.key("message").value(e.text);
      break;
  }
  j.end_object();
  std::printf("%s\n", j.str().c_str());
  std::fflush(stdout);
}


void EventPrinter::operator()(const DownloadEvent& e) {
  if (json_) {
    print_event_json(e, meta_);
    return;
  }
  if (quiet_) return;
  switch (e.kind) {
    case DownloadEvent::Kind::progress: {
      char extra[200];
      if (e.uploaded_bytes > 0) {
        std::snprintf(extra, sizeof extra, "  up %s (%s/s)  peers %u/%zu  hash fails %u",
                      human_bytes(static_cast<std::int64_t>(e.uploaded_bytes)).c_str(),
                      human_bytes(static_cast<std::int64_t>(e.upload_rate)).c_str(), e.peers_connected, e.peers_known,
                      e.hash_failures);
      } else {
        std::snprintf(extra, sizeof extra, "  peers %u/%zu  hash fails %u", e.peers_connected, e.peers_known,
                      e.hash_failures);
      }
      line_.update(e.verified_bytes, e.total_bytes, extra);
      break;
    }
    case DownloadEvent::Kind::listening:
      line_.finish();
      std::fprintf(stderr, "fluxo: listening on %s\n", printable(e.text).c_str());
      break;
    case DownloadEvent::Kind::completed:
      line_.finish();
      std::fprintf(stderr, "fluxo: download complete (%s in %.2f s); seeding\n", human_bytes(e.verified_bytes).c_str(),
                   e.seconds);
      break;
    case DownloadEvent::Kind::peer_banned:
      line_.finish();
      std::fprintf(stderr, "fluxo: banned peer %s\n", printable(e.text).c_str());
      break;
    case DownloadEvent::Kind::resume:
      line_.finish();
      std::fprintf(stderr, "fluxo: %s\n", printable(e.text).c_str());
      break;
    case DownloadEvent::Kind::piece_lost:
    case DownloadEvent::Kind::tracker_error:
      line_.finish();
      print_warning(e.text);
      break;
    default:
      break;
  }
}

}  // namespace fluxo::cli
