// Human-facing output helpers: byte counts, error and warning lines, and a
// throttled progress line that is drawn only when stderr is a terminal.
// Every string that came from a torrent, a tracker, a peer or the disk is
// printed through fluxo::printable() (core/printable.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/printable.h"

namespace fluxo::cli {

// "1.50 GiB", "512 B".
std::string human_bytes(std::int64_t n);
// Writes "fluxo: <message>" and a newline to stderr, the message through
// printable() (core/printable.h): errors quote names, paths and tracker or
// peer messages, and none of them may drive the terminal.
void print_error(std::string_view message);
// "fluxo: warning: <message>", escaped the same way.
void print_warning(std::string_view message);
// A bad command line: the error, a pointer to `fluxo COMMAND --help`, and
// the exit code for it (2).
int print_usage_error(std::string_view command, std::string_view message);

class ProgressLine {
 public:
  // Draws only when `enabled` and stderr is a terminal.
  ProgressLine(std::string label, bool enabled);
  ~ProgressLine();
  // Safe to call often; redraws at most ten times a second.
  void update(std::int64_t done, std::int64_t total, const char* extra = "");
  // Clears the line.
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace fluxo::cli
