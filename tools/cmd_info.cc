// fluxo info FILE.torrent|MAGNET [--json]
#include <cstdio>
#include <ctime>
#include <string>

#include "core/encoding.h"
#include "core/magnet.h"
#include "core/metainfo.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/json_writer.h"
#include "tools/terminal.h"
#include "tools/torrent_file.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsage =
    "usage: fluxo info FILE.torrent|MAGNET [--json]\n"
    "\n"
    "Shows what a .torrent file or magnet link describes: name, info-hash\n"
    "(and a hybrid torrent's v2 info-hash), size, pieces, files as they are\n"
    "saved, trackers by tier, private flag and web seeds. Names fluxo had to\n"
    "change (unsafe or colliding paths) are listed as warnings.\n"
    "\n"
    "  --json     one JSON object on stdout, for scripts\n"
    "  -h, --help this text\n";

void print_torrent_text(const Metainfo& m) {
  std::printf("name:         %s\n", printable(m.name).c_str());
  std::printf("info-hash:    %s\n", m.info_hash.hex().c_str());
  if (m.info_hash_v2) {
    std::printf("v2 hash:      %s  (hybrid v1/v2 torrent: fetched through its v1 half)\n",
                to_hex(*m.info_hash_v2).c_str());
  }
  std::printf("total size:   %s (%lld bytes)\n", human_bytes(m.total_size).c_str(),
              static_cast<long long>(m.total_size));
  std::printf("pieces:       %u x %s\n", m.piece_count(), human_bytes(m.piece_length).c_str());
  std::printf("private:      %s\n", m.is_private ? "yes" : "no");
  if (m.creation_date) {
    std::time_t t = static_cast<std::time_t>(*m.creation_date);
    char buf[64] = "?";
    if (std::tm tm{}; gmtime_r(&t, &tm)) std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    std::printf("created:      %s\n", buf);
  }
  if (!m.created_by.empty()) std::printf("created by:   %s\n", printable(m.created_by).c_str());
  if (!m.comment.empty()) std::printf("comment:      %s\n", printable(m.comment).c_str());
  std::printf("files:        %zu\n", m.files.size());
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    const FileEntry& f = m.files[i];
    std::string note = f.pad ? "  (padding)" : "";
    if (f.symlink) {
      note = f.symlink_target.empty() ? "  (symlink, not made)" : "  -> " + printable(f.symlink_target);
    }
    // The index is what `download --select` and a magnet's so= name.
    std::printf("  %4zu %12s  %s%s\n", i, human_bytes(f.size).c_str(), printable(f.path).c_str(), note.c_str());
  }
  if (m.trackers.empty()) {
    std::printf("trackers:     none\n");
  } else {
    std::printf("trackers:\n");
    for (std::size_t t = 0; t < m.trackers.size(); ++t) {
      for (const auto& url : m.trackers[t]) std::printf("  tier %zu  %s\n", t, printable(url).c_str());
    }
  }
  for (const auto& ws : m.web_seeds) std::printf("web seed:     %s\n", printable(ws).c_str());
  for (const auto& w : m.warnings) print_warning(w);
}

void print_torrent_json(const Metainfo& m) {
  JsonWriter j;
  j.begin_object();
  j.key("type").value("torrent");
  j.key("name").value(m.name);
  j.key("info_hash").value(m.info_hash.hex());
  if (m.info_hash_v2) j.key("info_hash_v2").value(to_hex(*m.info_hash_v2));
  j.key("total_size").value(m.total_size);
  j.key("piece_length").value(m.piece_length);
  j.key("piece_count").value(m.piece_count());
  j.key("private").value(m.is_private);
  j.key("files").begin_array();
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    const FileEntry& f = m.files[i];
    j.begin_object().key("index").value(static_cast<std::uint64_t>(i)).key("path").value(f.path).key("size").value(f.size);
    if (f.pad) j.key("pad").value(true);
    if (f.symlink) j.key("symlink").value(f.symlink_target);  // "": not made
    j.end_object();
  }
  j.end_array();
  j.key("trackers").begin_array();
  for (const auto& tier : m.trackers) {
    j.begin_array();
    for (const auto& u : tier) j.value(u);
    j.end_array();
  }
  j.end_array();
  j.key("web_seeds").begin_array();
  for (const auto& u : m.web_seeds) j.value(u);
  j.end_array();
  if (m.creation_date) j.key("creation_date").value(*m.creation_date);
  j.key("created_by").value(m.created_by);
  j.key("comment").value(m.comment);
  j.key("warnings").begin_array();
  for (const auto& w : m.warnings) j.value(w);
  j.end_array();
  j.end_object();
  std::printf("%s\n", j.str().c_str());
}

void print_magnet(const Magnet& m, bool json) {
  if (json) {
    JsonWriter j;
    j.begin_object();
    j.key("type").value("magnet");
    j.key("info_hash").value(m.info_hash.hex());
    j.key("name").value(m.display_name);
    j.key("trackers").begin_array();
    for (const auto& u : m.trackers) j.begin_array().value(u).end_array();
    j.end_array();
    j.key("peers").begin_array();
    for (const auto& p : m.peers) j.value(p);
    j.end_array();
    j.key("web_seeds").begin_array();
    for (const auto& u : m.web_seeds) j.value(u);
    j.end_array();
    j.key("select_only").begin_array();
    for (auto [lo, hi] : m.select_only) j.begin_array().value(lo).value(hi).end_array();
    j.end_array();
    j.key("warnings").begin_array();
    for (const auto& w : m.warnings) j.value(w);
    j.end_array();
    j.end_object();
    std::printf("%s\n", j.str().c_str());
    return;
  }
  std::printf("magnet link\n");
  std::printf("info-hash:    %s\n", m.info_hash.hex().c_str());
  if (!m.display_name.empty()) std::printf("name:         %s\n", printable(m.display_name).c_str());
  for (std::size_t t = 0; t < m.trackers.size(); ++t) {
    std::printf("  tier %zu  %s\n", t, printable(m.trackers[t]).c_str());
  }
  for (const auto& p : m.peers) std::printf("peer:         %s\n", printable(p).c_str());
  for (const auto& ws : m.web_seeds) std::printf("web seed:     %s\n", printable(ws).c_str());
  if (!m.select_only.empty()) {
    std::printf("select only: ");
    for (auto [lo, hi] : m.select_only) {
      if (lo == hi) std::printf(" %u", lo);
      else std::printf(" %u-%u", lo, hi);
    }
    std::printf("\n");
  }
  std::printf("(size and files are only known once the metadata is fetched from peers)\n");
  for (const auto& w : m.warnings) print_warning(w);
}

}  // namespace

int run_info(std::span<const std::string> args) {
  static const OptionSpec kSpecs[] = {{"json", 0, false, false}, {"help", 'h', false, false}};
  auto parsed = parse_args(args, kSpecs);
  if (!parsed) {
    print_error(parsed.status().message());
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  if (parsed->has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (parsed->positional.size() != 1) {
    print_error("info takes exactly one .torrent file or magnet link");
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string& target = parsed->positional[0];
  bool json = parsed->has("json");

  if (looks_like_magnet(target)) {
    auto m = parse_magnet(target);
    if (!m) {
      print_error("invalid magnet link: " + m.status().to_string());
      return exit_code_for(m.status().code());
    }
    print_magnet(*m, json);
    return kExitOk;
  }

  auto m = load_torrent_file(target);
  if (!m) {
    print_error(m.status().to_string());
    return exit_code_for(m.status().code());
  }
  if (json) {
    print_torrent_json(*m);
  } else {
    print_torrent_text(*m);
  }
  return kExitOk;
}

}  // namespace fluxo::cli
