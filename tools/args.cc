#include "tools/args.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <limits>

namespace fluxo::cli {

std::optional<std::string> ParsedArgs::value(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::values(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<ParsedArgs> parse_args(std::span<const std::string> args, std::span<const OptionSpec> specs) {
  ParsedArgs out;
  auto usage = [](std::string msg) { return Status(ErrorCode::invalid_argument, std::move(msg)); };
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    const OptionSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    if (a[1] == '-') {
      std::string_view body = std::string_view(a).substr(2);
      auto eq = body.find('=');
      std::string_view name = body.substr(0, eq);
      if (eq != std::string_view::npos) inline_value = std::string(body.substr(eq + 1));
      for (const auto& s : specs) {
        if (s.name == name) spec = &s;
      }
      if (!spec) return usage("unknown option --" + std::string(name));
    } else {
      if (a.size() != 2) return usage("unknown option " + a + " (long options take two dashes)");
      for (const auto& s : specs) {
        if (s.short_name == a[1]) spec = &s;
      }
      if (!spec) return usage("unknown option " + a);
    }
    std::vector<std::string>& slot = out.values_[spec->name];
    if (!slot.empty() && !spec->repeatable) return usage("option --" + spec->name + " given twice");
    if (spec->takes_value) {
      if (inline_value) {
        slot.push_back(*inline_value);
      } else if (i + 1 < args.size()) {
        slot.push_back(args[++i]);
      } else {
        return usage("option --" + spec->name + " needs a value");
      }
    } else {
      if (inline_value) return usage("option --" + spec->name + " takes no value");
      slot.emplace_back();
    }
  }
  return out;
}

std::optional<std::int64_t> parse_size(std::string_view text) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data() || n < 0) return std::nullopt;
  std::string_view unit = text.substr(static_cast<std::size_t>(p - text.data()));
  int shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "KiB" || unit == "k") shift = 10;
  else if (unit == "M" || unit == "MiB") shift = 20;
  else if (unit == "G" || unit == "GiB") shift = 30;
  else if (unit == "T" || unit == "TiB") shift = 40;
  else return std::nullopt;
  if (n > (std::numeric_limits<std::int64_t>::max() >> shift)) return std::nullopt;
  return n << shift;
}

bool parse_uint(const std::string& s, unsigned long max, unsigned long& out) {
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v > max || s[0] == '-') return false;
  out = v;
  return true;
}

std::optional<std::string> uint_option(const ParsedArgs& args, std::string_view name, unsigned long min,
                                       unsigned long max, unsigned long& out, std::string_view what) {
  auto v = args.value(name);
  if (!v) return std::nullopt;
  unsigned long n = 0;
  if (!parse_uint(*v, max, n) || n < min) {
    return "--" + std::string(name) + " must be " + std::to_string(min) + ".." + std::to_string(max) +
           (what.empty() ? "" : " " + std::string(what));
  }
  out = n;
  return std::nullopt;
}

std::optional<std::string> size_option(const ParsedArgs& args, std::string_view name, std::int64_t min,
                                       std::int64_t& out) {
  auto v = args.value(name);
  if (!v) return std::nullopt;
  auto size = parse_size(*v);
  if (!size || *size < min) {
    return "--" + std::string(name) + " must be a size of at least " + std::to_string(min >> 20) + "MiB";
  }
  out = *size;
  return std::nullopt;
}

}  // namespace fluxo::cli
