// What `fluxo download` and `fluxo seed` share: the options about peers,
// listening and trackers, the event output (progress line, messages, JSON
// lines) and the signal handling.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "core/metainfo.h"
#include "pipeline/download_engine.h"
#include "tools/args.h"
#include "tools/terminal.h"

namespace fluxo::cli {

// Option specs for the shared options, and their --help lines.
std::vector<OptionSpec> swarm_option_specs();
extern const char* const kSwarmOptionsHelp;

// Applies the shared options; an error message for a bad value.
std::optional<std::string> apply_swarm_options(const ParsedArgs& args, DownloadOptions& o);

// SIGINT/SIGTERM set the flag (a second one exits at once); SIGPIPE ignored.
extern std::atomic<bool> g_interrupt;
void install_signal_handlers();

// One JSON object per line on stdout. `status` for the finished event.
void print_event_json(const DownloadEvent& e, const Metainfo& m, const Status* status = nullptr);

// Prints events as `--quiet`, `--json` or the terminal want them.
class EventPrinter {
 public:
  EventPrinter(const Metainfo& m, const char* label, bool quiet, bool json)
      : meta_(m), quiet_(quiet), json_(json), line_(label, !quiet && !json) {}
  void operator()(const DownloadEvent& e);
  void finish() { line_.finish(); }

 private:
  const Metainfo& meta_;
  bool quiet_;
  bool json_;
  ProgressLine line_;
};

}  // namespace fluxo::cli
