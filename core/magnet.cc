#include "core/magnet.h"

#include "core/file_selection.h"

#include <algorithm>
#include <charconv>

#include "core/encoding.h"

namespace fluxo {
namespace {

constexpr std::string_view kScheme = "magnet:?";

Status bad(std::string msg) { return Status(ErrorCode::parse_error, std::move(msg)); }

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = text[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

Status parse_btih(std::string_view hash, InfoHash& out) {
  if (hash.size() == 40) {
    if (!from_hex(hash, out.bytes)) return bad("xt: info-hash has a non-hex character");
  } else if (hash.size() == 32) {
    if (!from_base32(hash, out.bytes)) return bad("xt: info-hash is not valid base32");
  } else {
    return bad("xt: info-hash has " + std::to_string(hash.size()) +
               " characters; expected 40 (hex) or 32 (base32)");
  }
  return Status::ok();
}

bool parse_u32(std::string_view s, std::uint32_t& v) {
  if (s.empty() || s.size() > 10) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// "host:port" or "[v6]:port" with a port in 1..65535.
bool valid_peer(std::string_view p) {
  auto colon = p.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = p.substr(0, colon);
  if (host.front() == '[' && host.back() != ']') return false;
  std::uint32_t port = 0;
  return parse_u32(p.substr(colon + 1), port) && port >= 1 && port <= 65535;
}

Status parse_select_only(std::string_view value, Magnet& m, const MagnetLimits& limits) {
  // Lenient where BEP 53 is silent: "so=" selects nothing more, "so=1,2," is "so=1,2".
  while (!value.empty() && value.back() == ',') value.remove_suffix(1);
  if (value.empty()) return Status::ok();
  auto ranges = parse_file_ranges(value, limits.max_file_index,
                                  limits.max_params > m.select_only.size() ? limits.max_params - m.select_only.size() : 0);
  if (!ranges) return bad("so: " + ranges.status().message());
  m.select_only.insert(m.select_only.end(), ranges->begin(), ranges->end());
  return Status::ok();
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end()) {
    list.push_back(std::move(value));
  }
}

}  // namespace

bool looks_like_magnet(std::string_view text) { return iequals_prefix(text, "magnet:"); }

Result<Magnet> parse_magnet(std::string_view uri, const MagnetLimits& limits) {
  if (uri.size() > limits.max_length) {
    return Status(ErrorCode::limit_exceeded, "magnet link longer than " +
                                                 std::to_string(limits.max_length) + " characters");
  }
  if (!iequals_prefix(uri, kScheme)) return bad("not a magnet link (expected \"magnet:?\")");
  std::string_view query = uri.substr(kScheme.size());

  Magnet m;
  bool have_v1 = false, have_v2 = false;
  std::size_t params = 0;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (param.empty()) continue;
    if (++params > limits.max_params) {
      return Status(ErrorCode::limit_exceeded,
                    "magnet link has more than " + std::to_string(limits.max_params) + " parameters");
    }
    auto eq = param.find('=');
    if (eq == std::string_view::npos) return bad("parameter \"" + std::string(param.substr(0, 40)) + "\" has no value");
    std::string_view key = param.substr(0, eq);
    // Numbered forms (tr.1, xt.2) are the same parameter.
    if (auto dot = key.find('.'); dot != std::string_view::npos && key != "x.pe") key = key.substr(0, dot);
    auto value = percent_decode(param.substr(eq + 1), key == "dn");
    if (!value) return bad(std::string(key) + ": malformed percent-escape");

    if (key == "xt") {
      if (iequals_prefix(*value, "urn:btih:")) {
        InfoHash h;
        if (Status s = parse_btih(std::string_view(*value).substr(9), h); !s) return s;
        if (have_v1 && h != m.info_hash) return bad("xt: two different BitTorrent info-hashes");
        m.info_hash = h;
        have_v1 = true;
      } else if (iequals_prefix(*value, "urn:btmh:")) {
        have_v2 = true;
      }
    } else if (key == "dn") {
      m.display_name = std::move(*value);
    } else if (key == "tr") {
      add_unique(m.trackers, std::move(*value));
    } else if (key == "ws") {
      add_unique(m.web_seeds, std::move(*value));
    } else if (key == "x.pe") {
      if (valid_peer(*value)) {
        add_unique(m.peers, std::move(*value));
      } else {
        m.warnings.push_back("x.pe: ignored malformed peer address \"" + value->substr(0, 64) + "\"");
      }
    } else if (key == "so") {
      if (Status s = parse_select_only(*value, m, limits); !s) return s;
    }
  }
  if (!have_v1) {
    if (have_v2) {
      return Status(ErrorCode::unsupported,
                    "v2-only magnet links (urn:btmh) are not supported yet");
    }
    return bad("magnet link has no BitTorrent info-hash (xt=urn:btih:...)");
  }
  return m;
}

}  // namespace fluxo
