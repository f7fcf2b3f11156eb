// The fluxo subcommands. Each takes its arguments (after the command name)
// and returns an exit code from exit_codes.h; none throws.
#pragma once

#include <span>
#include <string>

namespace fluxo::cli {

int run_info(std::span<const std::string> args);
int run_create(std::span<const std::string> args);
int run_download(std::span<const std::string> args);
int run_seed(std::span<const std::string> args);
int run_bench(std::span<const std::string> args);
int run_verify(std::span<const std::string> args);
int run_scrape(std::span<const std::string> args);
int run_fetch_metadata(std::span<const std::string> args);

}  // namespace fluxo::cli
