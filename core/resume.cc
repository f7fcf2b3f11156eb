#include "core/resume.h"

#include <cstring>

#include "core/bencode_value.h"
#include "core/sha1.h"

namespace fluxo {
namespace {

using bencode::Value;

Status bad(const std::string& why) { return Status(ErrorCode::parse_error, "resume data: " + why); }

const Value* find(const Value::Dict& d, std::string_view key) {
  for (const auto& [k, v] : d) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string digest_string(std::string_view bytes) {
  auto d = sha1(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace

std::string encode_resume(const ResumeData& r) {
  Value::List files;
  for (const auto& f : r.files) {
    Value::List entry;
    entry.emplace_back(f.size);
    entry.emplace_back(f.mtime_ns);
    files.emplace_back(std::move(entry));
  }
  auto bits = r.pieces.bytes();
  Value::Dict d;
  d.emplace("files", std::move(files));
  d.emplace("fluxo resume", kResumeVersion);
  d.emplace("info hash", std::string(r.info_hash.view()));
  d.emplace("pieces", std::string(reinterpret_cast<const char*>(bits.data()), bits.size()));
  if (!r.selected.empty()) {
    std::string flags;
    for (bool b : r.selected) flags.push_back(b ? '1' : '0');
    d.emplace("selected", std::move(flags));
    Value::List parts;
    parts.emplace_back(r.parts.size);
    parts.emplace_back(r.parts.mtime_ns);
    d.emplace("parts", std::move(parts));
  }
  std::string inner = bencode::encode(Value(std::move(d)));
  Value::Dict outer;
  outer.emplace("sha1", digest_string(inner));
  outer.emplace("data", std::move(inner));
  return bencode::encode(Value(std::move(outer)));
}

Result<ResumeData> decode_resume(std::string_view bytes, const Metainfo& meta) {
  if (bytes.empty()) return bad("empty");
  bencode::Limits limits;
  limits.max_input_size = 64u << 20;
  limits.max_depth = 4;
  auto outer_doc = bencode::decode(bytes, limits);
  if (!outer_doc) return bad("not bencode (" + outer_doc.status().message() + ")");
  Value outer = bencode::to_value(outer_doc->root());
  if (!outer.is_dict()) return bad("not a dictionary");
  const Value* data = find(outer.as_dict(), "data");
  const Value* sum = find(outer.as_dict(), "sha1");
  if (!data || !sum || !data->is_string() || !sum->is_string()) return bad("no data or checksum");
  if (digest_string(data->as_string()) != sum->as_string()) return bad("checksum mismatch");

  auto inner_doc = bencode::decode(data->as_string(), limits);
  if (!inner_doc) return bad("inner data is not bencode");
  Value inner = bencode::to_value(inner_doc->root());
  if (!inner.is_dict()) return bad("inner data is not a dictionary");
  const auto& d = inner.as_dict();
  const Value* version = find(d, "fluxo resume");
  if (!version || !version->is_int()) return bad("no version");
  if (version->as_int() != kResumeVersion) {
    return bad("version " + std::to_string(version->as_int()) + " (this fluxo reads version " +
               std::to_string(kResumeVersion) + ")");
  }
  const Value* hash = find(d, "info hash");
  if (!hash || !hash->is_string() || hash->as_string() != meta.info_hash.view()) return bad("for another torrent");
  ResumeData r;
  r.info_hash = meta.info_hash;
  const Value* pieces = find(d, "pieces");
  if (!pieces || !pieces->is_string()) return bad("no piece bitfield");
  const std::string& bits = pieces->as_string();
  if (!Bitfield::from_wire(std::span(reinterpret_cast<const std::uint8_t*>(bits.data()), bits.size()),
                           meta.piece_count(), r.pieces)) {
    return bad("piece bitfield of the wrong size");
  }
  const Value* files = find(d, "files");
  if (!files || !files->is_list() || files->as_list().size() != meta.files.size()) return bad("wrong file list");
  for (const auto& f : files->as_list()) {
    if (!f.is_list() || f.as_list().size() != 2 || !f.as_list()[0].is_int() || !f.as_list()[1].is_int()) {
      return bad("malformed file entry");
    }
    r.files.push_back({f.as_list()[0].as_int(), f.as_list()[1].as_int()});
  }
  if (const Value* sel = find(d, "selected")) {
    if (!sel->is_string() || sel->as_string().size() != meta.files.size()) return bad("wrong file selection");
    for (char c : sel->as_string()) {
      if (c != '0' && c != '1') return bad("wrong file selection");
      r.selected.push_back(c == '1');
    }
    const Value* parts = find(d, "parts");
    if (!parts || !parts->is_list() || parts->as_list().size() != 2 || !parts->as_list()[0].is_int() ||
        !parts->as_list()[1].is_int()) {
      return bad("malformed partial-piece entry");
    }
    r.parts = {parts->as_list()[0].as_int(), parts->as_list()[1].as_int()};
  }
  return r;
}

}  // namespace fluxo
