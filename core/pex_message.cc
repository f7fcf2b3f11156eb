#include "core/pex_message.h"

#include <arpa/inet.h>

#include "core/bencode.h"
#include "core/bencode_value.h"

namespace fluxo {
namespace {

Status bad(const std::string& what) { return Status(ErrorCode::protocol_error, "ut_pex: " + what); }

// A compact list into `out` (and its flags into `flags` when given), cut at
// kMaxPexPeers; entries with port 0 skipped.
Status read_list(std::string_view s, bool v6, const char* key, std::vector<PeerAddress>& out,
                 std::string_view flags_text, std::vector<std::uint8_t>* flags) {
  const std::size_t width = v6 ? 18 : 6;
  if (s.size() % width != 0) return bad(std::string(key) + " of " + std::to_string(s.size()) + " bytes");
  const std::size_t n = std::min(s.size() / width, kMaxPexPeers);
  for (std::size_t i = 0; i < n; ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data() + i * width);
    const std::uint16_t port = static_cast<std::uint16_t>((p[width - 2] << 8) | p[width - 1]);
    if (port == 0) continue;
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v6 ? AF_INET6 : AF_INET, p, text, sizeof text);
    out.push_back({text, port});
    if (flags) flags->push_back(i < flags_text.size() ? static_cast<std::uint8_t>(flags_text[i]) : 0);
  }
  return Status::ok();
}

}  // namespace

Result<PexMessage> parse_pex_message(std::span<const std::uint8_t> payload) {
  if (payload.size() > kMaxPexMessage) return bad("message of " + std::to_string(payload.size()) + " bytes");
  bencode::Limits limits;
  limits.max_input_size = kMaxPexMessage;
  limits.max_depth = 4;
  limits.max_tokens = 256;
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto doc = bencode::decode(text, limits);
  if (!doc) return bad(doc.status().to_string());
  auto root = doc->root();
  if (!root.is_dict()) return bad("not a dictionary");
  auto str = [&](const char* key) -> std::string_view {
    auto v = root.find(key);
    if (!v || !v->is_string()) return {};
    return *v->as_string();
  };
  PexMessage m;
  if (Status s = read_list(str("added"), false, "added", m.added, str("added.f"), &m.added_flags); !s) return s;
  if (Status s = read_list(str("added6"), true, "added6", m.added, str("added6.f"), &m.added_flags); !s) return s;
  if (Status s = read_list(str("dropped"), false, "dropped", m.dropped, {}, nullptr); !s) return s;
  if (Status s = read_list(str("dropped6"), true, "dropped6", m.dropped, {}, nullptr); !s) return s;
  return m;
}

std::string encode_pex_message(const PexMessage& m) {
  std::string added, added_f, added6, added6_f, dropped, dropped6;
  auto put = [](const PeerAddress& a, std::string& v4, std::string& v6) -> int {
    unsigned char buf[16];
    std::string* out = nullptr;
    std::size_t n = 0;
    if (::inet_pton(AF_INET, a.host.c_str(), buf) == 1) {
      out = &v4;
      n = 4;
    } else if (::inet_pton(AF_INET6, a.host.c_str(), buf) == 1) {
      out = &v6;
      n = 16;
    } else {
      return 0;
    }
    out->append(reinterpret_cast<const char*>(buf), n);
    out->push_back(static_cast<char>(a.port >> 8));
    out->push_back(static_cast<char>(a.port & 0xff));
    return n == 4 ? 4 : 6;
  };
  for (std::size_t i = 0; i < m.added.size(); ++i) {
    const char f = static_cast<char>(i < m.added_flags.size() ? m.added_flags[i] : 0);
    const int family = put(m.added[i], added, added6);
    if (family == 4) added_f.push_back(f);
    if (family == 6) added6_f.push_back(f);
  }
  for (const auto& a : m.dropped) put(a, dropped, dropped6);
  using bencode::Value;
  Value::Dict d{{"added", added}, {"added.f", added_f}, {"dropped", dropped}};
  if (!added6.empty()) {
    d["added6"] = added6;
    d["added6.f"] = added6_f;
  }
  if (!dropped6.empty()) d["dropped6"] = dropped6;
  return bencode::encode(Value(std::move(d)));
}

}  // namespace fluxo
