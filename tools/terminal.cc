#include "tools/terminal.h"

#include <unistd.h>

#include <cstdio>

#include "tools/exit_codes.h"

namespace fluxo::cli {

std::string human_bytes(std::int64_t n) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(n));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f %s", v, kUnits[u]);
  }
  return buf;
}

void print_error(std::string_view message) {
  std::fprintf(stderr, "fluxo: %s\n", printable(message).c_str());
}

void print_warning(std::string_view message) {
  std::fprintf(stderr, "fluxo: warning: %s\n", printable(message).c_str());
}

int print_usage_error(std::string_view command, std::string_view message) {
  print_error(message);
  std::fprintf(stderr, "(see fluxo %.*s --help)\n", static_cast<int>(command.size()), command.data());
  return kExitUsage;
}

ProgressLine::ProgressLine(std::string label, bool enabled)
    : label_(std::move(label)),
      enabled_(enabled && ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_() {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(std::int64_t done, std::int64_t total, const char* extra) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double pct = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
  auto rate = secs > 0 ? static_cast<std::int64_t>(static_cast<double>(done) / secs) : 0;
  std::string eta = "--";
  if (rate > 0 && total > done) {
    auto s = (total - done) / rate;
    char b[32];
    std::snprintf(b, sizeof b, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
    eta = b;
  }
  std::fprintf(stderr, "\r\033[K%s %5.1f%%  %s / %s  %s/s  ETA %s%s", label_.c_str(), pct,
               human_bytes(done).c_str(), human_bytes(total).c_str(), human_bytes(rate).c_str(),
               eta.c_str(), extra);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace fluxo::cli
