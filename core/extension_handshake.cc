#include "core/extension_handshake.h"

#include <algorithm>

#include "core/bencode.h"
#include "core/bencode_value.h"

namespace fluxo {

std::optional<std::uint8_t> ExtensionHandshake::id_of(std::string_view name) const {
  auto it = m.find(name);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

std::string encode_extension_handshake(const ExtensionHandshake& h) {
  using bencode::Value;
  Value::Dict m;
  for (const auto& [name, id] : h.m) m[name] = static_cast<std::int64_t>(id);
  Value::Dict d{{"m", std::move(m)}};
  if (!h.client.empty()) d["v"] = h.client;
  if (h.listen_port) d["p"] = static_cast<std::int64_t>(*h.listen_port);
  if (h.reqq) d["reqq"] = static_cast<std::int64_t>(*h.reqq);
  if (h.your_ip) d["yourip"] = *h.your_ip;
  if (h.metadata_size) d["metadata_size"] = *h.metadata_size;
  return bencode::encode(Value(std::move(d)));
}

Result<ExtensionHandshake> parse_extension_handshake(std::span<const std::uint8_t> payload) {
  if (payload.size() > kMaxExtensionHandshake) {
    return Status(ErrorCode::protocol_error, "extension handshake of " + std::to_string(payload.size()) + " bytes");
  }
  bencode::Limits limits;
  limits.max_input_size = kMaxExtensionHandshake;
  limits.max_depth = 8;
  limits.max_tokens = 4096;
  auto doc = bencode::decode(std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()), limits);
  if (!doc) return Status(ErrorCode::protocol_error, "extension handshake: " + doc.status().to_string());
  auto root = doc->root();
  if (!root.is_dict()) return Status(ErrorCode::protocol_error, "extension handshake is not a dictionary");
  ExtensionHandshake h;
  if (auto m = root.find("m"); m && m->is_dict()) {
    for (auto [name, id] : m->entries()) {
      if (h.m.size() >= kMaxExtensions) break;
      auto v = id.as_int();
      if (!v || *v <= 0 || *v > 255 || name.empty() || name.size() > 64) continue;
      h.m.emplace(std::string(name), static_cast<std::uint8_t>(*v));
    }
  }
  if (auto v = root.find("v"); v && v->is_string()) h.client = std::string(v->as_string()->substr(0, kMaxClientName));
  if (auto p = root.find("p"); p && p->is_int() && *p->as_int() > 0 && *p->as_int() <= 65535) {
    h.listen_port = static_cast<std::uint16_t>(*p->as_int());
  }
  if (auto q = root.find("reqq"); q && q->is_int() && *q->as_int() > 0) {
    h.reqq = static_cast<std::uint32_t>(std::min(*q->as_int(), kMaxReqq));
  }
  if (auto ip = root.find("yourip"); ip && ip->is_string() && (ip->as_string()->size() == 4 || ip->as_string()->size() == 16)) {
    h.your_ip = std::string(*ip->as_string());
  }
  if (auto s = root.find("metadata_size"); s && s->is_int() && *s->as_int() > 0 && *s->as_int() <= kMaxMetadataSize) {
    h.metadata_size = *s->as_int();
  }
  return h;
}

}  // namespace fluxo
