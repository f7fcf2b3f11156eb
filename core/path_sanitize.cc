#include "core/path_sanitize.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace fluxo {
namespace {

bool is_windows_device_name(std::string_view name) {
  // The device is the part before the first dot: "con.txt" is still CON.
  std::string_view base = name.substr(0, name.find('.'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (base.size() != 3 && base.size() != 4) return false;  // the common case ends here
  char up[4] = {};
  for (std::size_t i = 0; i < base.size(); ++i) {
    up[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(base[i])));
  }
  std::string_view b(up, base.size());
  if (b.size() == 3) return b == "CON" || b == "PRN" || b == "AUX" || b == "NUL";
  return (b.starts_with("COM") || b.starts_with("LPT")) && b[3] >= '0' && b[3] <= '9';
}

// Shortens to at most kMaxComponentBytes, keeping a short extension and never
// cutting a UTF-8 sequence in half.
std::string shorten(std::string_view name) {
  std::string_view ext;
  auto dot = name.rfind('.');
  if (dot != std::string_view::npos && dot > 0 && name.size() - dot <= 16) ext = name.substr(dot);
  std::size_t keep = kMaxComponentBytes - ext.size();
  while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;
  return std::string(name.substr(0, keep)) + std::string(ext);
}

bool needs_replacing(char c) {
  auto u = static_cast<unsigned char>(c);
  return c == '/' || c == '\\' || u < 0x20 || u == 0x7f;
}

}  // namespace

Result<SanitizedComponent> sanitize_component(std::string_view raw) {
  if (raw == "." || raw == "..") return SanitizedComponent{"", true};
  if (raw.empty()) return SanitizedComponent{"_", true};  // as libtorrent names it
  if (raw.find('\0') != std::string_view::npos) {
    return Status(ErrorCode::invalid_torrent, "path component contains a NUL byte");
  }
  SanitizedComponent out{std::string(raw), false};
  for (char& c : out.name) {
    if (needs_replacing(c)) {
      c = '_';
      out.changed = true;
    }
  }
  if (is_windows_device_name(out.name)) {
    out.name.insert(out.name.begin(), '_');
    out.changed = true;
  }
  if (out.name.size() > kMaxComponentBytes) {
    out.name = shorten(out.name);
    out.changed = true;
  }
  return out;
}

Result<SanitizedComponent> sanitize_torrent_name(std::string_view raw) {
  auto out = sanitize_component(raw);
  if (!out) return out;
  const std::string& n = out->name;
  bool reserved = n.size() == kStateDirName.size() &&
                  std::equal(n.begin(), n.end(), kStateDirName.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) == b;
                  });
  if (reserved) {
    out->name[0] = '_';
    out->changed = true;
  }
  return out;
}

Result<std::string> sanitize_path(std::span<const std::string_view> components, bool& changed) {
  std::string path;
  for (std::string_view raw : components) {
    // Fast path for the common, already clean component: no copy.
    if (raw.size() <= kMaxComponentBytes && raw != "." && raw != ".." && !raw.empty() &&
        std::none_of(raw.begin(), raw.end(), [](char ch) { return ch == '\0' || needs_replacing(ch); }) &&
        !is_windows_device_name(raw)) {
      if (!path.empty()) path.push_back('/');
      path += raw;
      if (path.size() > kMaxPathBytes) {
        return Status(ErrorCode::invalid_torrent,
                      "file path longer than " + std::to_string(kMaxPathBytes) + " bytes");
      }
      continue;
    }
    auto c = sanitize_component(raw);
    if (!c) return c.status();
    changed = changed || c->changed;
    if (c->name.empty()) continue;
    if (!path.empty()) path.push_back('/');
    path += c->name;
    if (path.size() > kMaxPathBytes) {
      return Status(ErrorCode::invalid_torrent,
                    "file path longer than " + std::to_string(kMaxPathBytes) + " bytes");
    }
  }
  if (path.empty()) {
    changed = true;
    return std::string("_");
  }
  return path;
}

}  // namespace fluxo
