#include "core/metadata_message.h"

#include "core/bencode.h"
#include "core/bencode_value.h"

namespace fluxo {
namespace {

std::string header(MetadataType type, std::uint32_t piece, std::int64_t total_size) {
  using bencode::Value;
  Value::Dict d{{"msg_type", static_cast<std::int64_t>(type)}, {"piece", static_cast<std::int64_t>(piece)}};
  if (type == MetadataType::data) d["total_size"] = total_size;
  return bencode::encode(Value(std::move(d)));
}

Status bad(const std::string& what) { return Status(ErrorCode::protocol_error, "ut_metadata: " + what); }

}  // namespace

std::string encode_metadata_request(std::uint32_t piece) { return header(MetadataType::request, piece, 0); }

std::string encode_metadata_reject(std::uint32_t piece) { return header(MetadataType::reject, piece, 0); }

std::string encode_metadata_data(std::uint32_t piece, std::int64_t total_size, std::string_view bytes) {
  std::string out = header(MetadataType::data, piece, total_size);
  out.append(bytes);
  return out;
}

Result<MetadataMessage> parse_metadata_message(std::span<const std::uint8_t> payload) {
  if (payload.size() > kMaxMetadataMessage) return bad("message of " + std::to_string(payload.size()) + " bytes");
  bencode::Limits limits;
  limits.max_input_size = kMaxMetadataMessage;
  limits.max_depth = 4;
  limits.max_tokens = 64;
  limits.allow_trailing = true;  // a data message's bytes follow the dictionary
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto doc = bencode::decode(text, limits);
  if (!doc) return bad(doc.status().to_string());
  auto root = doc->root();
  if (!root.is_dict()) return bad("not a dictionary");
  auto type = root.find("msg_type");
  auto piece = root.find("piece");
  if (!type || !type->is_int() || !piece || !piece->is_int()) return bad("no msg_type or piece");
  if (*piece->as_int() < 0 || *piece->as_int() > 0x7fffffff) return bad("piece out of range");
  MetadataMessage m;
  m.piece = static_cast<std::uint32_t>(*piece->as_int());
  const std::size_t trailing = doc->trailing();
  switch (*type->as_int()) {
    case 0:
      m.type = MetadataType::request;
      break;
    case 2:
      m.type = MetadataType::reject;
      break;
    case 1: {
      m.type = MetadataType::data;
      auto total = root.find("total_size");
      if (!total || !total->is_int() || *total->as_int() <= 0) return bad("data without total_size");
      m.total_size = *total->as_int();
      m.data = payload.subspan(payload.size() - trailing);
      return m;
    }
    default:
      m.type = MetadataType::other;  // BEP 9: "MUST be ignored"
      return m;
  }
  if (trailing != 0) return bad("bytes after a request or reject");
  return m;
}

}  // namespace fluxo
