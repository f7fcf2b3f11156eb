#include "core/torrent_builder.h"

#include "core/bencode_value.h"

namespace fluxo {

using bencode::Value;

std::string build_torrent(const TorrentSpec& spec) {
  Value::Dict info;
  info["name"] = spec.name;
  info["piece length"] = spec.piece_length;
  info["pieces"] = spec.piece_hashes;
  if (spec.is_private) info["private"] = 1;
  if (spec.single_file) {
    info["length"] = spec.files.at(0).size;
    if (!spec.files[0].attr.empty()) info["attr"] = spec.files[0].attr;
  } else {
    Value::List files;
    files.reserve(spec.files.size());
    for (const auto& f : spec.files) {
      Value::List path;
      for (const auto& c : f.path) path.emplace_back(c);
      Value::Dict entry{{"length", f.size}, {"path", std::move(path)}};
      if (!f.attr.empty()) entry["attr"] = f.attr;
      files.emplace_back(std::move(entry));
    }
    info["files"] = std::move(files);
  }

  Value::Dict root;
  root["info"] = std::move(info);
  std::size_t urls = 0;
  Value::List tiers;
  for (const auto& tier : spec.trackers) {
    Value::List t;
    for (const auto& u : tier) t.emplace_back(u);
    urls += tier.size();
    if (!t.empty()) tiers.emplace_back(std::move(t));
  }
  if (!tiers.empty()) {
    root["announce"] = tiers.front().as_list().front();
    if (urls > 1) root["announce-list"] = std::move(tiers);
  }
  if (spec.web_seeds.size() == 1) {
    root["url-list"] = spec.web_seeds.front();
  } else if (!spec.web_seeds.empty()) {
    Value::List ws;
    for (const auto& u : spec.web_seeds) ws.emplace_back(u);
    root["url-list"] = std::move(ws);
  }
  if (!spec.comment.empty()) root["comment"] = spec.comment;
  if (!spec.created_by.empty()) root["created by"] = spec.created_by;
  if (spec.creation_date) root["creation date"] = *spec.creation_date;
  return bencode::encode(Value(std::move(root)));
}

std::int64_t auto_piece_length(std::int64_t total) {
  constexpr std::int64_t kMin = 16 * 1024;
  constexpr std::int64_t kMax = 16 * 1024 * 1024;
  constexpr std::int64_t kMaxPieces = 2000;
  std::int64_t pl = kMin;
  while (pl < kMax && (total + pl - 1) / pl > kMaxPieces) pl *= 2;
  return pl;
}

}  // namespace fluxo
