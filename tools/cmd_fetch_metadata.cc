// fluxo fetch-metadata MAGNET -o OUT.torrent [options]
#include <cstdio>
#include <string>

#include "core/magnet.h"
#include "core/printable.h"
#include "session/session.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/json_writer.h"
#include "tools/swarm_cli.h"
#include "tools/terminal.h"
#include "tools/torrent_file.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsageHead =
    "usage: fluxo fetch-metadata MAGNET -o OUT.torrent [options]\n"
    "\n"
    "Fetches a magnet link's metadata (the torrent's info dictionary) from\n"
    "peers (BEP 9): from its trackers (tr=), the peers it names (x.pe=) and\n"
    "--peer. It is checked against the info-hash, validated as a .torrent file\n"
    "is, and written to OUT.torrent with the magnet's trackers; nothing is\n"
    "downloaded. Peers that send metadata that does not match, or more than\n"
    "64 MiB of it, are dropped.\n"
    "\n"
    "  -o, --output FILE        where to write the .torrent (required)\n"
    "      --timeout SECS       give up after this long without a piece of\n"
    "                           metadata from any peer (default 60)\n";

constexpr const char* kUsageTail =
    "\n"
    "exit codes: 0 written, 2 bad command line, 3 bad magnet link or metadata,\n"
    "4 OUT could not be written, 5 no peer sent the metadata, 130 interrupted.\n";

int usage_error(const std::string& msg) { return print_usage_error("fetch-metadata", msg); }

}  // namespace

int run_fetch_metadata(std::span<const std::string> args) {
  int exit = kExitOk;
  auto parsed = parse_swarm_command(args, {{"output", 'o', true, false}, {"timeout", 0, true, false}},
                                    SwarmUsage{"fetch-metadata", kUsageHead, kUsageTail}, exit);
  if (!parsed) return exit;
  if (parsed->positional.size() != 1) return usage_error("expected one magnet link");
  const auto out = parsed->value("output");
  if (!out) return usage_error("-o OUT.torrent is required");
  auto magnet = parse_magnet(parsed->positional[0]);
  if (!magnet) {
    print_error("magnet link: " + magnet.status().message());
    return kExitBadInput;
  }
  SessionOptions so;
  TorrentOptions o;
  if (auto err = apply_swarm_options(*parsed, 1, so, o)) return usage_error(*err);
  unsigned long timeout = o.stall_timeout.count();
  if (auto err = uint_option(*parsed, "timeout", 1, 86400, timeout, "seconds")) return usage_error(*err);
  o.stall_timeout = std::chrono::seconds(timeout);
  o.metadata_only = true;
  if (o.peers.empty() && magnet->peers.empty() && (magnet->trackers.empty() || !o.use_trackers)) {
    return usage_error("the magnet link names no tracker (tr=) and no peer (x.pe=), and no --peer is given: "
                       "nowhere to find peers");
  }
  const bool json = parsed->has("json"), quiet = parsed->has("quiet");
  magnet->select_only.clear();  // which files is the download's business, not the metadata's

  install_signal_handlers();
  Session session(so);
  auto added = session.add_magnet(*magnet, o);
  if (!added) {
    print_error(added.status().to_string());
    return exit_code_for(added.status().code());
  }
  const Torrent* t = *added;
  Status run = session.run(
      [&](const Torrent*, const DownloadEvent& e) {
        if (json && e.kind != DownloadEvent::Kind::finished) print_event_json(e, &t->meta());
        if (json || quiet) return;
        if (e.kind == DownloadEvent::Kind::peer_error || e.kind == DownloadEvent::Kind::tracker_error) {
          print_warning(e.text);
        }
      },
      g_interrupt);
  if (!run) {
    print_error(run.to_string());
    return exit_code_for(run.code());
  }
  Status st = t->result().status;
  if (st.is_ok()) st = write_file_atomically(*out, t->metadata_file());
  if (json) {
    JsonWriter j;
    j.begin_object().key("event").value("finished").key("info_hash").value(magnet->info_hash.hex());
    j.key("ok").value(st.is_ok());
    if (!st.is_ok()) j.key("error").value(st.message());
    if (st.is_ok()) {
      j.key("name").value(t->meta().name).key("total_bytes").value(t->meta().total_size);
      j.key("output").value(*out);
    }
    j.end_object();
    std::printf("%s\n", j.str().c_str());
  } else if (st.is_ok() && !quiet) {
    std::printf("wrote %s: %s (%s, %zu file%s), info-hash %s\n", printable(*out).c_str(),
                printable(t->meta().name).c_str(), human_bytes(t->meta().total_size).c_str(), t->meta().files.size(),
                t->meta().files.size() == 1 ? "" : "s", magnet->info_hash.hex().c_str());
  }
  if (!st.is_ok()) {
    if (!json) print_error(st.message());
    return exit_code_for(st.code());
  }
  return kExitOk;
}

}  // namespace fluxo::cli
