#include "core/metainfo.h"

#include <algorithm>
#include <limits>
#include <string>
#include <cctype>
#include <functional>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "core/path_sanitize.h"
#include "core/printable.h"
#include "core/sha1.h"
#include "core/sha256.h"

namespace fluxo {
namespace {

using bencode::Node;

Status invalid(std::string msg, std::size_t offset = Status::npos) {
  return Status(ErrorCode::invalid_torrent, std::move(msg), offset);
}

std::optional<std::string_view> get_string(const Node& dict, std::string_view key) {
  auto n = dict.find(key);
  if (!n) return std::nullopt;
  return n->as_string();
}

std::optional<std::int64_t> get_int(const Node& dict, std::string_view key) {
  auto n = dict.find(key);
  if (!n) return std::nullopt;
  return n->as_int();
}

// The ".utf-8" variant, when present, wins as libtorrent does.
std::optional<Node> find_utf8_or_plain(const Node& dict, std::string_view key,
                                       std::string_view utf8_key) {
  if (auto n = dict.find(utf8_key)) return n;
  return dict.find(key);
}

void add_tracker(Metainfo& m, std::size_t tier, std::string_view url, std::size_t& count,
                 std::unordered_set<std::string_view>& seen, const MetainfoLimits& limits) {
  // Whitespace around a URL is a creator's slip, trimmed as libtorrent does.
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!url.empty() && space(url.front())) url.remove_prefix(1);
  while (!url.empty() && space(url.back())) url.remove_suffix(1);
  if (url.empty() || !seen.insert(url).second) return;
  if (count >= limits.max_trackers) return;
  ++count;
  if (m.trackers.size() <= tier) m.trackers.resize(tier + 1);
  m.trackers[tier].emplace_back(url);
}

void parse_trackers(const Node& root, Metainfo& m, const MetainfoLimits& limits) {
  std::unordered_set<std::string_view> seen;
  std::size_t count = 0;
  if (auto list = root.find("announce-list"); list && list->is_list()) {
    // BEP 12: when announce-list is present, announce is ignored.
    std::size_t tier = 0;
    for (Node t : list->items()) {
      if (!t.is_list()) continue;
      std::size_t before = count;
      for (Node u : t.items()) {
        if (auto s = u.as_string()) add_tracker(m, tier, *s, count, seen, limits);
      }
      if (count > before) ++tier;
    }
    if (count >= limits.max_trackers) {
      m.warnings.push_back("only the first " + std::to_string(limits.max_trackers) +
                           " trackers are used");
    }
  }
  if (m.trackers.empty()) {
    if (auto s = get_string(root, "announce")) add_tracker(m, 0, *s, count, seen, limits);
  }
}

void parse_web_seeds(const Node& root, Metainfo& m, const MetainfoLimits& limits) {
  auto urls = root.find("url-list");
  if (!urls) return;
  if (auto s = urls->as_string()) {
    if (!s->empty()) m.web_seeds.emplace_back(*s);
    return;
  }
  for (Node u : urls->items()) {
    if (m.web_seeds.size() >= limits.max_trackers) break;
    if (auto s = u.as_string(); s && !s->empty()) m.web_seeds.emplace_back(*s);
  }
}

Status add_size(std::int64_t& total, std::int64_t size, std::size_t offset) {
  if (size < 0) return invalid("negative file length", offset);
  if (total > std::numeric_limits<std::int64_t>::max() - size) {
    return invalid("total size overflows 64 bits", offset);
  }
  total += size;
  return Status::ok();
}

void parse_attrs(const Node& file, FileEntry& entry) {
  if (auto attr = get_string(file, "attr")) {
    entry.pad = attr->find('p') != std::string_view::npos;
    entry.executable = attr->find('x') != std::string_view::npos;
    entry.hidden = attr->find('h') != std::string_view::npos;
  }
}

// Warnings for changed names: the first kMaxDetailedWarnings each, then a
// count (a hostile torrent could list a million).
class NameChanges {
 public:
  explicit NameChanges(std::vector<std::string>& out) : out_(out) {}
  void add(std::string text) {
    if (count_++ < kMaxDetailedWarnings) out_.push_back(std::move(text));
  }
  void finish() {
    if (count_ > kMaxDetailedWarnings) {
      out_.push_back("and " + std::to_string(count_ - kMaxDetailedWarnings) + " more file names changed");
    }
  }

 private:
  std::vector<std::string>& out_;
  std::size_t count_ = 0;
};

std::string quoted(std::string_view text) { return "\"" + printable(text) + "\""; }

std::string joined_raw(std::span<const std::string_view> components) {
  std::string out;
  for (std::string_view c : components) {
    if (!out.empty()) out.push_back('/');
    out += c;
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Files that would share a path on disk (equal ignoring ASCII case, as on
// the file systems libtorrent allows for), or a file whose path is another
// file's directory, are told apart the way libtorrent does, so both clients
// agree on the layout: in order, a file whose path is taken becomes
// dir/base.N.ext (the extension from the name's last dot, ".bashrc" being
// all extension) with the smallest free N >= 1. Directories win over files.
// Pad files are never on disk and take part in nothing.
void resolve_duplicates(Metainfo& m, NameChanges& changes) {
  std::unordered_set<std::string> dirs;
  for (const FileEntry& f : m.files) {
    if (f.pad) continue;
    for (auto slash = f.path.find('/'); slash != std::string::npos; slash = f.path.find('/', slash + 1)) {
      dirs.insert(ascii_lower(std::string_view(f.path).substr(0, slash)));
    }
  }
  std::unordered_set<std::string> taken;
  std::unordered_map<std::string, std::uint64_t> next_number;  // per dir/base/ext: every lower N is taken
  taken.reserve(m.files.size());
  for (FileEntry& f : m.files) {
    if (f.pad) continue;
    std::string key = ascii_lower(f.path);
    if (!dirs.count(key) && taken.insert(key).second) continue;
    const std::size_t slash = f.path.rfind('/');
    const std::size_t name_at = slash == std::string::npos ? 0 : slash + 1;
    std::size_t dot = f.path.rfind('.');
    if (dot == std::string::npos || dot < name_at) dot = f.path.size();
    const std::string stem = f.path.substr(0, dot);
    const std::string ext = f.path.substr(dot);
    std::uint64_t& n = next_number.try_emplace(ascii_lower(stem) + '\0' + ascii_lower(ext), 1).first->second;
    std::string candidate;
    for (;; ++n) {
      candidate = stem + "." + std::to_string(n) + ext;
      key = ascii_lower(candidate);
      if (!dirs.count(key) && taken.insert(key).second) break;
    }
    ++n;
    changes.add("file " + quoted(f.path) + " is saved as " + quoted(candidate) + " (its name was taken)");
    f.path = std::move(candidate);
  }
}

// BEP 47 symlink target: components relative to the torrent's root. A '..'
// is refused outright rather than resolved: with it, a chain of links could
// climb out through one another.
std::string symlink_target(const Node& f, const Metainfo& m, std::string_view shown, NameChanges& changes) {
  auto target = f.find("symlink path");
  std::vector<std::string_view> parts{m.name};
  bool escapes = !target || !target->is_list() || target->size() == 0;
  if (!escapes) {
    for (Node c : target->items()) {
      auto str = c.as_string();
      if (!str || *str == ".." || str->find('\0') != std::string_view::npos) {
        escapes = true;
        break;
      }
      parts.push_back(*str);
    }
  }
  bool changed = false;
  auto clean = escapes ? Result<std::string>(std::string()) : sanitize_path(parts, changed);
  if (!clean || clean->size() <= m.name.size()) escapes = true;
  if (escapes) {
    changes.add("symlink " + quoted(shown) + " points outside the torrent's directory: it is not made");
    return {};
  }
  return std::move(*clean);
}

// A data file as the torrent lists it (path below the name, unsanitized),
// for the hybrid check.
using RawFile = std::pair<std::string, std::int64_t>;

Status parse_files(const Node& files, Metainfo& m, const MetainfoLimits& limits, std::vector<RawFile>& raw) {
  if (!files.is_list()) return invalid("'files' is not a list", files.offset());
  if (files.size() == 0) return invalid("'files' is empty", files.offset());
  if (files.size() > limits.max_files) {
    return Status(ErrorCode::limit_exceeded,
                  "torrent has " + std::to_string(files.size()) + " files, more than the limit of " +
                      std::to_string(limits.max_files),
                  files.offset());
  }
  m.multi_file = true;
  m.files.reserve(files.size());
  NameChanges changes(m.warnings);
  std::vector<std::string_view> components;
  for (Node f : files.items()) {
    if (!f.is_dict()) return invalid("file entry is not a dictionary", f.offset());
    FileEntry e;
    parse_attrs(f, e);
    if (auto attr = get_string(f, "attr")) e.symlink = !e.pad && attr->find('l') != std::string_view::npos;
    auto length = f.find("length");
    if (length && !length->is_int()) return invalid("file entry whose 'length' is not an integer", length->offset());
    if (!length && !e.pad && !e.symlink) return invalid("file entry without an integer 'length'", f.offset());
    e.size = length ? *length->as_int() : 0;
    if (e.size < 0) return invalid("negative file length", length->offset());
    if (e.symlink) e.size = 0;  // a link holds no data (libtorrent ignores its length too)
    auto path = find_utf8_or_plain(f, "path", "path.utf-8");
    std::string pad_length;
    components.clear();
    components.push_back(m.name);
    if (!path && e.pad) {
      pad_length = std::to_string(e.size);
      components.push_back(".pad");
      components.push_back(pad_length);
    } else {
      if (!path || !path->is_list()) return invalid("file entry without a 'path' list", f.offset());
      if (path->size() == 0) return invalid("file entry with an empty 'path'", path->offset());
      if (path->size() > limits.max_path_components) {
        return invalid("file path with more than " + std::to_string(limits.max_path_components) + " components",
                       path->offset());
      }
      for (Node c : path->items()) {
        auto str = c.as_string();
        if (!str) return invalid("path component is not a string", c.offset());
        components.push_back(*str);
      }
      // BitComet's padding files predate BEP 47's attr: known by name, as
      // libtorrent knows them (zeros, never made on disk).
      if (!e.symlink && components.back().starts_with("_____padding_file_")) e.pad = true;
    }
    bool changed = false;
    auto joined = sanitize_path(components, changed);
    if (!joined) {
      const std::size_t at = path ? path->offset() : f.offset();
      return Status(joined.status().code(), joined.status().message(), at);
    }
    if (joined->size() <= m.name.size()) {  // nothing left below the torrent's name
      *joined += "/_";
      changed = true;
    }
    if (changed && !e.pad) changes.add("file " + quoted(joined_raw(components)) + " is saved as " + quoted(*joined));
    if (e.regular()) raw.emplace_back(joined_raw(std::span(components).subspan(1)), e.size);
    e.path = std::move(*joined);
    if (e.symlink) e.symlink_target = symlink_target(f, m, e.path, changes);
    e.offset = m.total_size;
    if (Status st = add_size(m.total_size, e.size, length ? length->offset() : f.offset()); !st) return st;
    m.files.push_back(std::move(e));
  }
  resolve_duplicates(m, changes);
  changes.finish();
  return Status::ok();
}

// Two files with one path, or a file that is also another file's directory,
// cannot both exist on disk. Pad files are virtual and exempt.
Status check_path_conflicts(const Metainfo& m) {
  std::unordered_set<std::string_view> files;
  std::unordered_set<std::string_view> dirs;
  files.reserve(m.files.size());
  for (const FileEntry& f : m.files) {
    if (f.pad) continue;
    std::string_view p = f.path;
    if (!files.insert(p).second) return invalid("duplicate file path \"" + f.path + "\"");
    for (auto slash = p.find('/'); slash != std::string_view::npos; slash = p.find('/', slash + 1)) {
      dirs.insert(p.substr(0, slash));
    }
  }
  for (std::string_view d : dirs) {
    if (files.count(d) != 0) {
      return invalid("\"" + std::string(d) + "\" is both a file and a directory");
    }
  }
  return Status::ok();
}

// A hybrid's two halves must describe the same files (as libtorrent
// requires): otherwise v1 and v2 peers would hand out different data under
// one torrent. The v2 'file tree' nests one dictionary per path component;
// a file is the "" key with its 'length' (BEP 52). Symlinks are left out on
// both sides, pads exist only in v1.
Status check_hybrid(const Node& tree, const std::vector<RawFile>& v1, const MetainfoLimits& limits) {
  std::vector<RawFile> v2;
  Status bad = invalid("the hybrid torrent's v1 and v2 file lists differ", tree.offset());
  std::function<bool(const Node&, const std::string&, std::size_t)> walk = [&](const Node& dir, const std::string& at,
                                                                               std::size_t depth) {
    if (!dir.is_dict() || depth > limits.max_path_components) return false;
    for (auto [key, value] : dir.entries()) {
      if (!value.is_dict()) return false;
      if (key.empty()) {
        if (value.find("attr") && value.find("attr")->as_string().value_or("").find('l') != std::string_view::npos) {
          continue;
        }
        auto length = value.find("length");
        if (!length || !length->is_int() || at.empty() || v2.size() >= v1.size()) return false;
        v2.emplace_back(at, *length->as_int());
        continue;
      }
      if (!walk(value, at.empty() ? std::string(key) : at + "/" + std::string(key), depth + 1)) return false;
    }
    return true;
  };
  if (!walk(tree, "", 0) || v2 != v1) return bad;
  return Status::ok();
}

}  // namespace

std::int64_t Metainfo::piece_size(PieceIndex i) const {
  std::int64_t start = static_cast<std::int64_t>(i.value()) * piece_length;
  return std::min(piece_length, total_size - start);
}

Sha1Digest Metainfo::piece_hash(PieceIndex i) const {
  Sha1Digest d{};
  std::copy_n(piece_hashes.data() + std::size_t{i.value()} * kSha1Size, kSha1Size,
              reinterpret_cast<char*>(d.data()));
  return d;
}

Result<Metainfo> parse_metainfo(std::string_view bytes, const MetainfoLimits& limits) {
  bencode::Limits lenient = limits.bencode;
  lenient.allow_trailing = true;  // the info-hash covers the info dictionary only
  auto doc = bencode::decode(bytes, lenient);
  if (!doc) return doc.status();
  Node root = doc->root();
  if (!root.is_dict()) return invalid("top level is not a dictionary", 0);
  auto info_node = root.find("info");
  if (!info_node) return invalid("no 'info' dictionary");
  if (!info_node->is_dict()) return invalid("'info' is not a dictionary", info_node->offset());
  Node info = *info_node;

  Metainfo m;
  // BEP 52: v2 has 'meta version' 2 and a 'file tree'; a hybrid also has a
  // complete v1 half ('pieces', 'length' or 'files'), which is what fluxo
  // reads: v1 peers serve it, and the v1 info-hash is the torrent's.
  auto version = get_int(info, "meta version");
  if ((version && *version != 1) || info.find("file tree")) {
    if (version && *version > 2) {
      return Status(ErrorCode::unsupported, "metainfo version " + std::to_string(*version) + " is unknown");
    }
    if (!info.find("pieces")) {
      return Status(ErrorCode::unsupported, "BitTorrent v2 torrents (BEP 52) are not supported yet");
    }
    if (version && *version == 2 && info.find("file tree")) m.info_hash_v2 = sha256(info.raw());
  }

  m.info_hash.bytes = sha1(info.raw());
  m.info_bytes = std::make_shared<const std::string>(info.raw());
  if (!doc->canonical()) m.warnings.push_back("the file's dictionaries are not sorted (non-canonical bencode)");
  if (doc->trailing() > 0) {
    m.warnings.push_back(std::to_string(doc->trailing()) + " bytes after the torrent's dictionary are ignored");
  }

  auto name = find_utf8_or_plain(info, "name", "name.utf-8");
  if (!name || !name->is_string()) return invalid("no 'name' string in 'info'");
  auto clean = sanitize_torrent_name(*name->as_string());
  if (!clean) return Status(clean.status().code(), "torrent name: " + clean.status().message(), name->offset());
  if (clean->name.empty()) {
    // Nothing left ("", ".", ".."): named by its info-hash, as libtorrent does.
    clean->name = m.info_hash.hex();
    m.warnings.push_back("the torrent's name " + quoted(*name->as_string()) + " is empty once made safe: saved as " +
                         clean->name);
  } else if (clean->changed) {
    m.warnings.push_back("the torrent's name " + quoted(*name->as_string()) + " is saved as " + quoted(clean->name));
  }
  m.name = std::move(clean->name);

  auto pl = info.find("piece length");
  if (!pl || !pl->is_int()) return invalid("no integer 'piece length' in 'info'");
  m.piece_length = *pl->as_int();
  if (m.piece_length < limits.min_piece_length || m.piece_length > limits.max_piece_length) {
    return invalid("piece length " + std::to_string(m.piece_length) + " is outside " +
                       std::to_string(limits.min_piece_length) + ".." +
                       std::to_string(limits.max_piece_length),
                   pl->offset());
  }

  auto pieces = info.find("pieces");
  if (!pieces || !pieces->is_string()) return invalid("no 'pieces' string in 'info'");
  std::string_view hashes = *pieces->as_string();
  if (hashes.empty() || hashes.size() % kSha1Size != 0) {
    return invalid("'pieces' length " + std::to_string(hashes.size()) + " is not a positive multiple of 20",
                   pieces->offset());
  }

  auto length = info.find("length");
  auto files = info.find("files");
  if (length && files) return invalid("'info' has both 'length' and 'files'");
  std::vector<RawFile> raw;
  if (files) {
    if (Status s = parse_files(*files, m, limits, raw); !s) return s;
  } else if (length) {
    if (!length->is_int()) return invalid("'length' is not an integer", length->offset());
    FileEntry e;
    e.path = m.name;
    e.size = *length->as_int();
    if (Status s = add_size(m.total_size, e.size, length->offset()); !s) return s;
    parse_attrs(info, e);
    raw.emplace_back(std::string(*name->as_string()), e.size);
    m.files.push_back(std::move(e));
  } else {
    return invalid("'info' has neither 'length' nor 'files'");
  }
  if (m.total_size == 0) return invalid("torrent holds no data (total size 0)");
  if (m.info_hash_v2) {
    if (Status s = check_hybrid(*info.find("file tree"), raw, limits); !s) return s;
  }
  if (Status s = check_path_conflicts(m); !s) return s;

  std::int64_t expected = (m.total_size - 1) / m.piece_length + 1;
  if (static_cast<std::uint64_t>(expected) != hashes.size() / kSha1Size) {
    return invalid("'pieces' holds " + std::to_string(hashes.size() / kSha1Size) + " hashes but " +
                       std::to_string(m.total_size) + " bytes in pieces of " +
                       std::to_string(m.piece_length) + " need " + std::to_string(expected),
                   pieces->offset());
  }
  m.piece_hashes.assign(hashes);
  if (auto p = get_int(info, "private")) m.is_private = *p == 1;

  parse_trackers(root, m, limits);
  parse_web_seeds(root, m, limits);
  m.creation_date = get_int(root, "creation date");
  if (auto c = find_utf8_or_plain(root, "comment", "comment.utf-8"); c && c->is_string()) m.comment = *c->as_string();
  if (auto c = get_string(root, "created by")) m.created_by = *c;
  return m;
}

namespace {
void put_string(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}
}  // namespace

std::string torrent_file_from_info(std::string_view info, const std::vector<std::vector<std::string>>& trackers) {
  std::string out = "d";
  const std::string* first = nullptr;
  for (const auto& tier : trackers) {
    if (!tier.empty()) {
      first = &tier.front();
      break;
    }
  }
  if (first) {  // keys in sorted order: announce, announce-list, info
    put_string(out, "announce");
    put_string(out, *first);
    put_string(out, "announce-list");
    out += 'l';
    for (const auto& tier : trackers) {
      if (tier.empty()) continue;
      out += 'l';
      for (const auto& url : tier) put_string(out, url);
      out += 'e';
    }
    out += 'e';
  }
  put_string(out, "info");
  out += info;
  out += 'e';
  return out;
}

}  // namespace fluxo
