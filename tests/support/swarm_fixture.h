// Test support for swarm tests: a fixture that makes payloads and torrents,
// starts libtorrent seeders and the project's own test peers on loopback,
// runs fluxo with --json and compares results byte for byte.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "core/encoding.h"
#include "core/metainfo.h"
#include "core/tracker_response.h"
#include "tests/support/background.h"
#include "tests/support/subprocess.h"

namespace fluxo::test {

using namespace std::chrono_literals;

inline const std::string kPython = "/usr/bin/python3";
inline const std::string kSrc = FLUXO_SOURCE_DIR;

struct JsonEvents {
  std::vector<Poco::JSON::Object::Ptr> events;
  Poco::JSON::Object::Ptr last(const std::string& kind) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if ((*it)->getValue<std::string>("event") == kind) return *it;
    }
    return nullptr;
  }
  int count(const std::string& kind) const {
    int n = 0;
    for (const auto& e : events) n += e->getValue<std::string>("event") == kind;
    return n;
  }
  int max_int(const std::string& kind, const std::string& field) const {
    int m = 0;
    for (const auto& e : events) {
      if (e->getValue<std::string>("event") == kind) m = std::max(m, e->getValue<int>(field));
    }
    return m;
  }
};

inline JsonEvents parse_events(const std::string& out) {
  JsonEvents ev;
  std::size_t start = 0;
  while (start < out.size()) {
    auto nl = out.find('\n', start);
    std::string line = out.substr(start, nl - start);
    start = nl == std::string::npos ? out.size() : nl + 1;
    if (line.empty()) continue;
    ev.events.push_back(Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>());
  }
  return ev;
}

// The outcome a test peer script (interop/hostile_peer.py, mse_peer.py)
// printed for one scenario, from its "SCENARIO OUTCOME" lines; "(none)".
inline std::string scenario_outcome(const std::string& out, const std::string& scenario) {
  std::string text = "\n" + out;
  auto at = text.find("\n" + scenario + " ");
  if (at == std::string::npos) return "(none)";
  at += scenario.size() + 2;
  return text.substr(at, text.find('\n', at) - at);
}

// Waits until something accepts TCP connections on ip:port (a peer that
// prints nothing when it is ready).
inline bool wait_for_port(const std::string& ip, int port, std::chrono::milliseconds timeout = 30s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      Poco::Net::StreamSocket s;
      s.connect(Poco::Net::SocketAddress(ip, static_cast<Poco::UInt16>(port)), Poco::Timespan(1, 0));
      return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// One figure of opentracker's scrape reply for one torrent ("complete",
// "incomplete" or "downloaded"), or nullopt when the tracker does not answer.
inline std::optional<int> scrape_figure(const std::string& ip, int port, const std::string& info_hash_hex,
                                        const std::string& key) {
  std::array<std::uint8_t, 20> raw{};
  from_hex(info_hash_hex, raw);
  std::string target = "/scrape?info_hash=" +
                       percent_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), 20));
  try {
    Poco::Net::HTTPClientSession session(ip, static_cast<Poco::UInt16>(port));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, target);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body(std::istreambuf_iterator<char>(session.receiveResponse(resp)), {});
    const std::string tag = std::to_string(key.size()) + ":" + key + "i";
    auto pos = body.find(tag);
    if (pos == std::string::npos) return std::nullopt;
    return std::stoi(body.substr(pos + tag.size()));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Seeders announce in the background after they start; a test that relies
// on the tracker waits until it lists them all (opentracker's scrape).
inline bool wait_for_tracker(const std::string& ip, int port, const std::string& info_hash_hex, int seeders) {
  for (int i = 0; i < 300; ++i) {
    auto complete = scrape_figure(ip, port, info_hash_hex, "complete");
    if (complete && *complete >= seeders) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

class SwarmTest : public ::testing::Test {
 protected:
  std::string path(const std::string& rel) const { return dir_ / rel; }

  // A file of `size` pseudo-random bytes at data/<name>.
  std::string single_payload(const std::string& name, std::size_t size) {
    write_random_file(path("data/" + name), size, 42);
    return path("data/" + name);
  }

  std::string multi_payload(const std::string& name) {
    std::string root = path("data/" + name);
    write_random_file(root + "/a.bin", 3'000'001, 1);
    write_file(root + "/empty", "");
    write_random_file(root + "/sub/b.bin", 65'537, 2);
    write_random_file(root + "/sub/deeper/c.bin", 4'999'999, 3);
    write_file(root + "/sub/empty2", "");
    write_random_file(root + "/z.txt", 1, 4);
    return root;
  }

  std::string make_torrent(const std::string& payload, const std::string& tracker, const std::string& piece,
                           const std::vector<std::string>& extra = {}) {
    std::string out = path("t-" + std::to_string(++torrents_) + ".torrent");
    std::vector<std::string> argv{FLUXO_BINARY, "create", payload, "-o", out, "--piece-size", piece, "-q"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (!tracker.empty()) {
      argv.push_back("-t");
      argv.push_back(tracker);
    }
    auto r = run_process(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }

  std::string info_hash(const std::string& torrent) {
    auto m = parse_metainfo(read_file(torrent));
    EXPECT_TRUE(m);
    return m ? m->info_hash.hex() : "";
  }

  // libtorrent seeders, one session each on ip_base + 1..count.
  std::unique_ptr<BackgroundProcess> lt_seeders(const std::string& torrent, int count, const std::string& ip_base,
                                                std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{kPython, kSrc + "/tools/lt_swarm.py", "seed", torrent, path("data"),
                                  "--count", std::to_string(count), "--ip-base", ip_base, "--lifetime", "300"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<BackgroundProcess>(argv, path("lt-seeders.log"));
    EXPECT_TRUE(p->wait_for_line("ready", 60s)) << read_file(path("lt-seeders.log"));
    return p;
  }

  std::unique_ptr<BackgroundProcess> py_seeders(const std::string& torrent, int count, const std::string& ip_base,
                                                std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{kPython, kSrc + "/tests/interop/py_peer.py", torrent, path("data"),
                                  "--count", std::to_string(count), "--ip-base", ip_base};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<BackgroundProcess>(argv, py_log(ip_base));
    EXPECT_TRUE(p->wait_for_line("ready", 60s)) << read_file(py_log(ip_base));
    return p;
  }
  // Where the py_peer.py process on `ip_base` writes its stderr.
  std::string py_log(const std::string& ip_base) const { return path("py-" + ip_base + "log");
  }

  ProcessResult download(const std::string& torrent, std::vector<std::string> extra) {
    std::vector<std::string> argv{FLUXO_BINARY, "download", torrent, "-o", path("out"), "--json"};
    if (std::find(extra.begin(), extra.end(), "--stall-timeout") == extra.end()) {
      argv.insert(argv.end(), {"--stall-timeout", "30"});
    }
    // The downloader listens too (peers that learn of it connect to it), on
    // an address of this test's own: listening on every address at 6881
    // would take the port from seeders that bind a 127.x address of theirs.
    if (std::find(extra.begin(), extra.end(), "--listen") == extra.end() &&
        std::find(extra.begin(), extra.end(), "--no-listen") == extra.end()) {
      argv.insert(argv.end(), {"--listen", own_ip()});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv);
  }

  // An address for this test's fluxo to listen on, from its name: tests run
  // in parallel, each on addresses of its own.
  std::string own_ip() const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::size_t h = std::hash<std::string>{}(std::string(info->test_suite_name()) + "." + info->name());
    return "127." + std::to_string(100 + h % 100) + "." + std::to_string(1 + h / 100 % 250) + "." +
           std::to_string(1 + h / 25000 % 250);
  }

  // `fluxo seed` of data/ on ip:port; returns once it listens (its stdout
  // carries --json events: lines()).
  std::unique_ptr<BackgroundProcess> fluxo_seeder(const std::string& torrent, const std::string& ip, int port,
                                                  std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{FLUXO_BINARY, "seed", torrent, "-d", path("data"), "--listen", ip,
                                  "--port", std::to_string(port), "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<BackgroundProcess>(argv, path("fluxo-seed-" + ip + ".log"));
    EXPECT_TRUE(p->wait_for_line("{\"event\":\"listening\"", 60s)) << read_file(path("fluxo-seed-" + ip + ".log"));
    // It moves to the next port when this one is taken; the tests dial this one.
    std::string want = "\"" + ip + ":" + std::to_string(port) + "\"";
    EXPECT_TRUE(!p->lines().empty() && p->lines().back().find(want) != std::string::npos)
        << "seeder not on " << want << ": " << (p->lines().empty() ? "" : p->lines().back());
    return p;
  }

  void expect_same_tree(const std::string& original, const std::string& downloaded) {
    namespace fs = std::filesystem;
    if (fs::is_regular_file(original)) {
      EXPECT_TRUE(read_file(original) == read_file(downloaded)) << downloaded << " differs";
      return;
    }
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(original)) {
      if (!e.is_regular_file()) continue;
      std::string rel = fs::relative(e.path(), original).string();
      ASSERT_TRUE(fs::exists(downloaded + "/" + rel)) << rel << " missing";
      EXPECT_TRUE(read_file(e.path()) == read_file(downloaded + "/" + rel)) << rel << " differs";
      ++files;
    }
    EXPECT_GT(files, 0);
  }

  TempDir dir_;
  int torrents_ = 0;
};

}  // namespace fluxo::test
