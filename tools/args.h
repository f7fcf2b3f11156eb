// A small, strict command-line parser: declared options only, GNU-style
// "--name value", "--name=value", "-x value", and "--" to end options.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace fluxo::cli {

struct OptionSpec {
  std::string name;   // long name without dashes
  char short_name = 0;
  bool takes_value = false;
  bool repeatable = false;
};

class ParsedArgs {
 public:
  std::vector<std::string> positional;
  bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  std::optional<std::string> value(std::string_view name) const;
  std::vector<std::string> values(std::string_view name) const;

 private:
  friend Result<ParsedArgs> parse_args(std::span<const std::string>, std::span<const OptionSpec>);
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

Result<ParsedArgs> parse_args(std::span<const std::string> args, std::span<const OptionSpec> specs);

// "16KiB", "4M", "1GiB", "12345": a byte count; nullopt if malformed or overflowing.
std::optional<std::int64_t> parse_size(std::string_view text);

// An unsigned decimal no larger than `max`.
bool parse_uint(const std::string& s, unsigned long max, unsigned long& out);

// Checked numeric options: when --name is given and valid, `out` is set;
// when it is given and invalid, the message for the user. `what` follows
// the range in that message ("seconds", "minutes"; may be empty).
std::optional<std::string> uint_option(const ParsedArgs& args, std::string_view name, unsigned long min,
                                       unsigned long max, unsigned long& out, std::string_view what = {});
std::optional<std::string> size_option(const ParsedArgs& args, std::string_view name, std::int64_t min,
                                       std::int64_t& out);

}  // namespace fluxo::cli
