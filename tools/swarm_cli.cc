#include "tools/swarm_cli.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/tracker_response.h"
#include "tools/exit_codes.h"
#include "tools/json_writer.h"
#include "tools/torrent_file.h"

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
    case DownloadEvent::Kind::checking: return "checking";
    case DownloadEvent::Kind::metadata: return "metadata";
    case DownloadEvent::Kind::fetching_metadata: return "fetching_metadata";
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
      {"max-peers-per-torrent", 0, true, false}, {"udp-resend-ms", 0, true, false},
      {"encryption", 0, true, false},
      {"quiet", 'q', false, false},     {"json", 0, false, false},        {"help", 'h', false, false},
  };
}

const char* const kSwarmOptionsHelp =
    "      --peer HOST:PORT     connect to this peer too; repeatable; works with\n"
    "                           no tracker at all\n"
    "      --no-trackers        do not announce (use only --peer addresses)\n"
    "      --max-peers N        connections at once, every torrent together\n"
    "                           (default 200); with one torrent also its own\n"
    "                           limit, unless --max-peers-per-torrent is given\n"
    "      --max-peers-per-torrent N  connections of one torrent (default 50);\n"
    "                           while downloading at most half of them\n"
    "                           incoming; a useless peer (nothing to trade,\n"
    "                           idle) makes room for a new one when all are\n"
    "                           taken\n"
    "      --max-peers-per-ip N  connections from one IP address (default 2)\n"
    "      --port N             listen for peers on N, or the next free port\n"
    "                           (default 6881); announced to trackers\n"
    "      --listen ADDR        listen on this address only (default: all IPv4);\n"
    "                           outgoing connections come from it too\n"
    "      --no-listen          accept no incoming connections\n"
    "      --encryption MODE    protocol encryption (MSE/PE) with peers:\n"
    "                           prefer (default): accept both; connect with an\n"
    "                           encrypted handshake and, if the peer hangs up,\n"
    "                           again in plain at once; the payload goes in the\n"
    "                           clear when both sides allow it (as libtorrent);\n"
    "                           require: RC4 throughout, plain peers refused;\n"
    "                           off: plain handshakes only\n"
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
    "      --udp-resend-ms MS   a UDP tracker request not answered is sent again\n"
    "                           after MS, then 2 x MS, 4 x MS, ... within the\n"
    "                           announce's deadline (default 15000, BEP 15's)\n"
    "  -q, --quiet              print nothing but errors\n"
    "      --json               newline-delimited JSON events on stdout\n"
    "  -h, --help               this text\n";

std::optional<ParsedArgs> parse_swarm_command(std::span<const std::string> args, std::vector<OptionSpec> extra,
                                              const SwarmUsage& usage, int& exit) {
  std::vector<OptionSpec> specs = swarm_option_specs();
  specs.insert(specs.end(), extra.begin(), extra.end());
  auto parsed = parse_args(args, specs);
  if (!parsed) {
    exit = print_usage_error(usage.command, parsed.status().message());
    return std::nullopt;
  }
  if (parsed->has("help")) {
    std::fputs(usage.head, stdout);
    std::fputs(kSwarmOptionsHelp, stdout);
    std::fputs(usage.tail, stdout);
    exit = kExitOk;
    return std::nullopt;
  }
  return std::move(*parsed);
}

std::optional<std::string> apply_swarm_options(const ParsedArgs& args, std::size_t torrents, SessionOptions& so,
                                               TorrentOptions& o) {
  for (const auto& p : args.values("peer")) {
    PeerAddress a;
    if (!parse_peer_address(p, a)) return "--peer " + p + ": expected HOST:PORT";
    o.peers.push_back(a);
  }
  o.use_trackers = !args.has("no-trackers");
  unsigned long peers = so.max_peers, per_torrent = o.max_peers, port = so.port, slots = o.upload_slots,
                per_ip = o.max_per_ip, request_timeout = static_cast<unsigned long>(o.peer.request_timeout.count() / 1000),
                tracker_timeout = static_cast<unsigned long>(o.tracker.timeout.count() / 1000),
                udp_resend = static_cast<unsigned long>(so.udp_first_wait.count());
  for (auto err : {uint_option(args, "max-peers", 1, 2000, peers), uint_option(args, "port", 1, 65535, port),
                   uint_option(args, "max-peers-per-torrent", 1, 2000, per_torrent),
                   uint_option(args, "upload-slots", 1, 1000, slots),
                   uint_option(args, "max-peers-per-ip", 1, 2000, per_ip),
                   uint_option(args, "request-timeout", 1, 3600, request_timeout, "seconds"),
                   uint_option(args, "tracker-timeout", 1, 3600, tracker_timeout, "seconds"),
                   uint_option(args, "udp-resend-ms", 10, 3'600'000, udp_resend, "milliseconds")}) {
    if (err) return err;
  }
  // One torrent: --max-peers is its limit too (as it always was).
  if (torrents == 1 && args.has("max-peers") && !args.has("max-peers-per-torrent")) per_torrent = peers;
  so.max_peers = static_cast<unsigned>(peers);
  o.max_peers = static_cast<unsigned>(std::min(per_torrent, peers));
  o.max_per_ip = static_cast<unsigned>(per_ip);
  o.tracker.timeout = std::chrono::seconds(tracker_timeout);
  so.udp_first_wait = std::chrono::milliseconds(udp_resend);
  so.port = static_cast<std::uint16_t>(port);
  o.upload_slots = static_cast<unsigned>(slots);
  o.peer.request_timeout = std::chrono::seconds(request_timeout);
  if (auto v = args.value("listen")) so.listen_address = *v;
  so.listen = !args.has("no-listen");
  if (auto v = args.value("upload-limit")) {
    auto rate = parse_size(*v);
    if (!rate || *rate < 1024) return std::string("--upload-limit must be at least 1KiB (per second)");
    so.upload_limit = static_cast<double>(*rate);
  }
  if (auto v = args.value("tracker-ca")) o.tracker.ca_file = *v;
  o.tracker.insecure = args.has("insecure-tracker");
  if (auto v = args.value("encryption")) {
    auto e = parse_encryption(*v);
    if (!e) return "--encryption " + *v + ": expected prefer, require or off";
    so.encryption = *e;
    o.peer.encryption = *e;
  }
  return std::nullopt;
}

void print_event_json(const DownloadEvent& e, const Metainfo* m, const Status* status) {
  JsonWriter j;
  j.begin_object().key("event").value(kind_name(e.kind));
  if (m) j.key("info_hash").value(m->info_hash.hex()).key("name").value(m->name);
  switch (e.kind) {
    case DownloadEvent::Kind::metadata:
      if (m) j.key("total_bytes").value(m->total_size).key("pieces").value(m->piece_count());
      break;
    case DownloadEvent::Kind::started:
      j.key("total_bytes").value(e.total_bytes);
      if (m) j.key("pieces").value(m->piece_count()).key("piece_length").value(m->piece_length);
      j.key("memory_cap").value(static_cast<std::uint64_t>(e.memory_cap));
      break;
    case DownloadEvent::Kind::checking:
      j.key("checked_bytes").value(e.verified_bytes).key("total_bytes").value(e.total_bytes);
      j.key("seconds").value(e.seconds);
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
      j.key("files_selected").value(e.files_selected).key("files").value(e.files_total);
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
      j.key("encrypted").value(e.encrypted).key("encrypted_rc4").value(e.encrypted_rc4);
      break;
    default:
      j.key("message").value(e.text);
      break;
  }
  j.end_object();
  std::printf("%s\n", j.str().c_str());
  std::fflush(stdout);
}


namespace {

void report_warnings(const Metainfo& m, bool json, bool single);

// Prints a session's events as `--quiet`, `--json` or the terminal want
// them. One torrent: a progress line of its own and plain messages, as the
// single-torrent commands always printed. More: a totals line (torrents
// done/active/queued, bytes, rate, ETA, the active torrents), messages
// prefixed with the torrent's name, and a line per torrent as it finishes.
class Printer {
 public:
  Printer(const Session& session, const RunStyle& style, bool single)
      : session_(session), style_(style), single_(single), line_(style.label, !style.quiet && !style.json),
        check_line_("checking", !style.quiet && !style.json) {}

  void operator()(const Torrent* t, const DownloadEvent& e) {
    if (e.kind == DownloadEvent::Kind::metadata && t) {
      // A magnet's torrent has its name and files now: say so, then what
      // sanitizing changed, as a .torrent's warnings are said before it starts.
      if (style_.json) {
        print_event_json(e, &t->meta());
      } else if (!style_.quiet) {
        clear();
        std::fprintf(stderr, "fluxo: metadata for %s: %s in %u pieces\n", printable(t->meta().name).c_str(),
                     human_bytes(t->meta().total_size).c_str(), t->meta().piece_count());
      }
      if (style_.json || !style_.quiet) report_warnings(t->meta(), style_.json, single_);
      return;
    }
    if (style_.json) {
      if (e.kind == DownloadEvent::Kind::finished && t) {
        Status st = outcome(*t);
        print_event_json(e, &t->meta(), &st);
      } else {
        print_event_json(e, t ? &t->meta() : nullptr);
      }
      return;
    }
    if (style_.quiet) return;
    const std::string who = (t && !single_) ? printable(t->meta().name) + ": " : std::string();
    switch (e.kind) {
      case DownloadEvent::Kind::checking:
        if (single_) {
          check_line_.update(e.verified_bytes, e.total_bytes);
        } else {
          totals();
        }
        break;
      case DownloadEvent::Kind::progress:
        check_line_.finish();
        if (single_) {
          single_progress(e);
        } else {
          totals();
        }
        break;
      case DownloadEvent::Kind::fetching_metadata:
        clear();
        std::fprintf(stderr, "fluxo: %sfetching the metadata from peers (magnet link)\n", who.c_str());
        break;
      case DownloadEvent::Kind::listening:
        clear();
        std::fprintf(stderr, "fluxo: listening on %s\n", printable(e.text).c_str());
        break;
      case DownloadEvent::Kind::completed:
        if (!t || !seeds_after(t->options())) break;  // the outcome line follows at once
        clear();
        std::fprintf(stderr, "fluxo: %sdownload complete (%s in %.2f s); seeding\n", who.c_str(),
                     human_bytes(e.verified_bytes).c_str(), e.seconds);
        break;
      case DownloadEvent::Kind::peer_banned:
        clear();
        std::fprintf(stderr, "fluxo: %sbanned peer %s\n", who.c_str(), printable(e.text).c_str());
        break;
      case DownloadEvent::Kind::resume:
        clear();
        std::fprintf(stderr, "fluxo: %s%s\n", who.c_str(), printable(e.text).c_str());
        break;
      case DownloadEvent::Kind::piece_lost:
      case DownloadEvent::Kind::tracker_error:
        clear();
        print_warning(who + e.text);
        break;
      case DownloadEvent::Kind::finished:
        if (!single_ && t) {
          clear();
          print_outcome(*t);
        }
        break;
      default:
        break;
    }
  }

  void finish() { clear(); }

  // What the command reports for a torrent: for fluxo seed a signal is the
  // normal end, once it serves (not while it still checks).
  Status outcome(const Torrent& t) const {
    const Status& st = t.result().status;
    if (style_.serve_only && st.code() == ErrorCode::cancelled && t.ran()) return Status::ok();
    return st;
  }

  // One line on stdout: what it did, or why it failed.
  void print_outcome(const Torrent& t) const {
    const auto& s = t.result().summary;
    std::string name = printable(t.meta().name);
    if (s.files_selected < s.files_total) {
      name += " (" + std::to_string(s.files_selected) + " of " + std::to_string(s.files_total) + " files)";
    }
    Status st = outcome(t);
    if (!st) {
      std::printf("failed %s: %s\n", name.c_str(), printable(st.message()).c_str());
    } else if (style_.serve_only) {
      std::printf("seeded %s: %s uploaded in %.0f s\n", name.c_str(),
                  human_bytes(static_cast<std::int64_t>(s.uploaded_bytes)).c_str(), s.seconds);
    } else {
      std::printf("downloaded %s: %s in %.2f s (%s/s) from %u peer%s, %u hash failure%s, %s uploaded\n", name.c_str(),
                  human_bytes(s.verified_bytes).c_str(), s.seconds,
                  human_bytes(static_cast<std::int64_t>(s.rate)).c_str(), s.peers_used, s.peers_used == 1 ? "" : "s",
                  s.hash_failures, s.hash_failures == 1 ? "" : "s",
                  human_bytes(static_cast<std::int64_t>(s.uploaded_bytes)).c_str());
    }
    std::fflush(stdout);
  }

 private:
  void clear() {
    line_.finish();
    check_line_.finish();
  }

  void single_progress(const DownloadEvent& e) {
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
  }

  void totals() {
    std::int64_t done = 0, total = 0;
    unsigned finished = 0, active = 0, queued = 0, peers = 0;
    std::string names;
    for (const auto& t : session_.torrents()) {
      done += t->verified_bytes();
      total += t->total_bytes();
      peers += t->peers_connected();
      switch (t->state()) {
        case Torrent::State::queued: ++queued; break;
        case Torrent::State::finished: ++finished; break;
        default:
          ++active;
          if (names.size() < 60) {
            const double pct = t->total_bytes() > 0 ? 100.0 * static_cast<double>(t->verified_bytes()) /
                                                          static_cast<double>(t->total_bytes())
                                                    : 100.0;
            char b[96];
            std::snprintf(b, sizeof b, "%s%.24s %.0f%%", names.empty() ? "" : ", ",
                          printable(t->meta().name).c_str(), pct);
            names += b;
          }
      }
    }
    char extra[256];
    std::snprintf(extra, sizeof extra, "  torrents %u done %u active %u queued  peers %u  [%s]", finished, active,
                  queued, peers, names.c_str());
    line_.update(done, total, extra);
  }

  const Session& session_;
  RunStyle style_;
  bool single_;
  ProgressLine line_;
  ProgressLine check_line_;
};

int code_of(const Status& st) { return st.is_ok() ? kExitOk : exit_code_for(st.code()); }

// What the torrent file needed cleaning up (names changed to be safe or
// told apart, links not made, bytes ignored): before anything is written.
void report_warnings(const Metainfo& m, bool json, bool single) {
  for (const auto& w : m.warnings) {
    if (json) {
      JsonWriter j;
      j.begin_object().key("event").value("warning").key("info_hash").value(m.info_hash.hex());
      j.key("name").value(m.name).key("message").value(w).end_object();
      std::printf("%s\n", j.str().c_str());
    } else {
      print_warning(single ? w : m.name + ": " + w);
    }
  }
  if (json) std::fflush(stdout);
}

}  // namespace

// Bounds on what -i lists may ask of one process: each torrent is parsed
// and kept in memory up front.
constexpr std::size_t kMaxListBytes = 16u << 20;
constexpr std::size_t kMaxTorrents = 10000;

namespace {

TorrentSource source_of(const std::string& text) {
  if (!looks_like_magnet(text)) return {text, load_torrent_file(text), std::nullopt};
  auto m = parse_magnet(text);
  if (!m) return {text, Status(m.status().code(), "magnet link: " + m.status().message()), std::nullopt};
  return {text, Status(ErrorCode::invalid_argument, "a magnet link"), std::move(*m)};
}

}  // namespace

std::optional<std::string> collect_sources(const std::vector<std::string>& paths, const std::vector<std::string>& lists,
                                           std::vector<TorrentSource>& out) {
  for (const auto& p : paths) out.push_back(source_of(p));
  for (const auto& list : lists) {
    std::string text;
    if (list == "-") {
      // Bounded like a list file: a pipe that never ends is refused.
      char buf[65536];
      while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
        if (text.size() > kMaxListBytes) return "-i -: standard input is longer than 16 MiB";
      }
    } else {
      auto r = read_small_file(list, kMaxListBytes);
      if (!r) return "-i " + list + ": " + r.status().message();
      text = std::move(*r);
    }
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
      std::size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos || line[start] == '#') continue;
      line.erase(0, start);
      if (out.size() >= kMaxTorrents) {
        return "-i " + list + ": more than " + std::to_string(kMaxTorrents) + " torrents in one run";
      }
      out.push_back(source_of(line));
    }
  }
  return std::nullopt;
}

int run_torrents(const SessionOptions& so, const TorrentOptions& to, std::vector<TorrentSource> sources,
                 const RunStyle& style) {
  install_signal_handlers();
  const bool single = sources.size() == 1;
  int worst = kExitOk;
  std::vector<std::pair<std::string, Status>> rejected;  // sources that never became torrents
  Session session(so);  // the thread budget, before anything uses oneTBB
  for (auto& src : sources) {
    Status st;
    if (src.magnet) {
      auto added = session.add_magnet(*src.magnet, to);
      if (!added) st = added.status();
    } else if (!src.meta) {
      st = src.meta.status();
    } else {
      report_warnings(*src.meta, style.json, single);
      auto added = session.add(std::move(*src.meta), to);
      if (!added) st = added.status();
    }
    if (st.is_ok()) continue;
    worst = std::max(worst, code_of(st));
    if (single) {
      print_error(st.to_string());
      return code_of(st);
    }
    if (style.json) {
      JsonWriter j;
      j.begin_object().key("event").value("finished").key("source").value(src.label).key("ok").value(false);
      j.key("error").value(st.message()).end_object();
      std::printf("%s\n", j.str().c_str());
      std::fflush(stdout);
    } else {
      print_error(src.label + ": " + st.message());
    }
    rejected.emplace_back(src.label, st);
  }
  if (session.torrents().empty()) return worst;

  Printer printer(session, style, single);
  Status run = session.run(std::ref(printer), g_interrupt);
  printer.finish();
  if (!run) {
    print_error(run.to_string());
    return code_of(run);
  }

  std::int64_t bytes = 0;
  double seconds = 0;
  unsigned ok = 0;
  for (const auto& t : session.torrents()) {
    Status st = printer.outcome(*t);
    worst = std::max(worst, code_of(st));
    ok += st.is_ok() ? 1 : 0;
    bytes += t->result().summary.verified_bytes;
    seconds = std::max(seconds, t->result().summary.seconds);
  }
  if (single) {
    const Torrent& t = *session.torrents().front();
    Status st = printer.outcome(t);
    if (!st) {
      print_error(st.to_string());
    } else if (!style.quiet && !style.json) {
      printer.print_outcome(t);
    }
    return worst;
  }
  const std::size_t failed = session.torrents().size() - ok + rejected.size();
  if (style.json) {
    JsonWriter j;
    j.begin_object().key("event").value("summary");
    j.key("torrents").value(static_cast<std::uint64_t>(sources.size())).key("ok").value(ok);
    j.key("failed").value(static_cast<std::uint64_t>(failed)).key("bytes").value(bytes);
    j.key("seconds").value(seconds).key("exit_code").value(worst).end_object();
    std::printf("%s\n", j.str().c_str());
    std::fflush(stdout);
  } else if (!style.quiet) {
    for (const auto& [label, st] : rejected) {
      std::printf("failed %s: %s\n", printable(label).c_str(), printable(st.message()).c_str());
    }
    std::printf("%zu torrents: %u %s, %zu failed; %s in %.2f s\n", sources.size(), ok,
                style.serve_only ? "seeded" : "downloaded", failed, human_bytes(bytes).c_str(), seconds);
  }
  return worst;
}

}  // namespace fluxo::cli
