// What `fluxo download` and `fluxo seed` share: the options about peers,
// listening and trackers, the event output (progress line, messages, JSON
// lines), the signal handling, and running a Session over a list of
// torrents with the summary and exit code at the end.
#pragma once

#include <atomic>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/magnet.h"
#include "core/metainfo.h"
#include "session/session.h"
#include "tools/args.h"
#include "tools/terminal.h"

namespace fluxo::cli {

// Option specs for the shared options, and their --help lines.
std::vector<OptionSpec> swarm_option_specs();
extern const char* const kSwarmOptionsHelp;

// The usage text of a command that takes the peer options: its own part,
// the shared options, then its exit codes.
struct SwarmUsage {
  const char* command;  // "download", for usage errors
  const char* head;
  const char* tail;
};
// Parses a command's arguments: the peer options and `extra`. nullopt when
// the command is over: --help printed (`exit` 0) or a usage error printed
// (`exit` 2).
std::optional<ParsedArgs> parse_swarm_command(std::span<const std::string> args, std::vector<OptionSpec> extra,
                                              const SwarmUsage& usage, int& exit);

// Applies the shared options; an error message for a bad value. `torrents`
// is how many torrents the command was given (one: --max-peers is also the
// torrent's own limit unless --max-peers-per-torrent says otherwise).
std::optional<std::string> apply_swarm_options(const ParsedArgs& args, std::size_t torrents, SessionOptions& s,
                                               TorrentOptions& t);

// SIGINT/SIGTERM set the flag (a second one exits at once); SIGPIPE ignored.
extern std::atomic<bool> g_interrupt;
void install_signal_handlers();

// One JSON object per line on stdout; every event of a torrent carries its
// info_hash and name. `status` for the finished event.
void print_event_json(const DownloadEvent& e, const Metainfo* m, const Status* status = nullptr);

// A torrent named on the command line or in a list: its metainfo, or why
// it could not be read.
struct TorrentSource {
  std::string label;  // the path (or line) as given
  Result<Metainfo> meta;
  // A magnet link (label starts with "magnet:"): `meta` is then unused.
  std::optional<Magnet> magnet;
};

// Reads the torrents named by `paths`, and by the list files of `-i`
// (one per line; blank lines and lines starting with '#' skipped; "-" is
// standard input). A list that cannot be read is an error message.
std::optional<std::string> collect_sources(const std::vector<std::string>& paths,
                                           const std::vector<std::string>& lists,
                                           std::vector<TorrentSource>& out);

struct RunStyle {
  const char* label = "downloading";  // the progress line's
  bool quiet = false;
  bool json = false;
  bool serve_only = false;  // fluxo seed: a signal is the normal end
};

// Runs every source that loaded in one Session and prints the outcome: for
// one torrent exactly as the single-torrent commands always did; for more,
// totals while running and one line (or JSON object) per torrent at the
// end. Returns the exit code: 0 only when every torrent succeeded, else the
// highest exit code among the failures.
int run_torrents(const SessionOptions& session, const TorrentOptions& torrent, std::vector<TorrentSource> sources,
                 const RunStyle& style);

}  // namespace fluxo::cli
