// fluxo scrape FILE.torrent|MAGNET [--json] [--tracker-timeout SECS] [--udp-resend-ms MS]
#include <algorithm>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/magnet.h"
#include "core/metainfo.h"
#include "core/printable.h"
#include "net/tracker_client.h"
#include "net/udp_tracker.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/json_writer.h"
#include "tools/terminal.h"
#include "tools/torrent_file.h"

namespace fluxo::cli {
namespace {

constexpr const char* kUsage =
    "usage: fluxo scrape FILE.torrent|MAGNET [--json] [--tracker-timeout SECS]\n"
    "                    [--udp-resend-ms MS]\n"
    "\n"
    "Asks every tracker of a torrent (HTTP and HTTPS by BEP 48, UDP by BEP 15)\n"
    "how many seeders and leechers it knows and how many downloads it has seen\n"
    "complete, and prints one line per tracker (or its error). Trackers are\n"
    "asked 16 at a time, each within the deadline.\n"
    "\n"
    "      --tracker-timeout SECS  deadline for each tracker (default 15)\n"
    "      --udp-resend-ms MS   resend an unanswered UDP request after MS, then\n"
    "                           2 x MS, ... (default 15000)\n"
    "      --json               one JSON object on stdout\n"
    "  -h, --help               this text\n"
    "\n"
    "exit codes: 0 at least one tracker answered, 2 bad command line, 3 invalid\n"
    "torrent or magnet, 4 unreadable file, 5 no tracker answered (or none)\n";

constexpr std::size_t kAtOnce = 16;

struct Outcome {
  std::string url;
  Result<ScrapeFigures> figures = Status(ErrorCode::network_error, "not asked");
};

}  // namespace

int run_scrape(std::span<const std::string> args) {
  static const OptionSpec kSpecs[] = {{"json", 0, false, false},
                                      {"tracker-timeout", 0, true, false},
                                      {"udp-resend-ms", 0, true, false},
                                      {"help", 'h', false, false}};
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
    print_error("scrape takes exactly one .torrent file or magnet link");
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  unsigned long timeout = 15, resend = 15000;
  for (auto err : {uint_option(*parsed, "tracker-timeout", 1, 3600, timeout, "seconds"),
                   uint_option(*parsed, "udp-resend-ms", 10, 3'600'000, resend, "milliseconds")}) {
    if (err) return print_usage_error("scrape", *err);
  }
  const std::string& target = parsed->positional[0];
  InfoHash hash;
  std::vector<std::string> urls;
  if (looks_like_magnet(target)) {
    auto m = parse_magnet(target);
    if (!m) {
      print_error("invalid magnet link: " + m.status().to_string());
      return exit_code_for(m.status().code());
    }
    hash = m->info_hash;
    urls = m->trackers;
  } else {
    auto m = load_torrent_file(target);
    if (!m) {
      print_error(m.status().to_string());
      return exit_code_for(m.status().code());
    }
    hash = m->info_hash;
    for (const auto& tier : m->trackers) urls.insert(urls.end(), tier.begin(), tier.end());
  }

  TrackerOptions options;
  options.timeout = std::chrono::seconds(timeout);
  UdpTrackerClient udp(UdpTrackerOptions{std::chrono::milliseconds(resend), 8, ""});
  std::vector<Outcome> outcomes(urls.size());
  for (std::size_t from = 0; from < urls.size(); from += kAtOnce) {
    std::vector<std::future<void>> batch;
    for (std::size_t i = from; i < std::min(urls.size(), from + kAtOnce); ++i) {
      batch.push_back(std::async(std::launch::async, [&, i] {
        Outcome& o = outcomes[i];
        o.url = urls[i];
        if (o.url.compare(0, 6, "udp://") == 0) {
          auto r = udp.scrape(o.url, std::span(&hash, 1), options);
          o.figures = r ? Result<ScrapeFigures>((*r)[0]) : Result<ScrapeFigures>(r.status());
        } else {
          o.figures = scrape(o.url, hash, options);
        }
      }));
    }
    for (auto& f : batch) f.wait();
  }

  std::size_t answered = 0;
  for (const auto& o : outcomes) answered += o.figures.is_ok() ? 1 : 0;
  if (parsed->has("json")) {
    JsonWriter j;
    j.begin_object().key("info_hash").value(hash.hex()).key("trackers").begin_array();
    for (const auto& o : outcomes) {
      j.begin_object().key("url").value(o.url);
      if (o.figures) {
        j.key("seeders").value(o.figures->seeders).key("leechers").value(o.figures->leechers);
        j.key("completed").value(o.figures->completed);
      } else {
        j.key("error").value(o.figures.status().message());
      }
      j.end_object();
    }
    j.end_array().end_object();
    std::printf("%s\n", j.str().c_str());
  } else {
    if (urls.empty()) std::printf("no trackers\n");
    for (const auto& o : outcomes) {
      if (o.figures) {
        std::printf("%s  seeders %lld  leechers %lld  completed %lld\n", printable(o.url).c_str(),
                    static_cast<long long>(o.figures->seeders), static_cast<long long>(o.figures->leechers),
                    static_cast<long long>(o.figures->completed));
      } else {
        std::printf("%s  error: %s\n", printable(o.url).c_str(), printable(o.figures.status().message()).c_str());
      }
    }
  }
  return answered > 0 ? kExitOk : kExitNetwork;
}

}  // namespace fluxo::cli
