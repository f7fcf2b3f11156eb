// libFuzzer target: a tracker's raw HTTP reply (status line, header fields,
// body in any framing). Small caps so that the limits are reached often.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/tracker_reply.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  fluxo::TrackerReplyLimits limits;
  limits.max_body = 4096;
  limits.max_header = 2048;
  limits.max_peers = 50;
  auto r = fluxo::interpret_tracker_reply(raw, limits);
  if (r && r->redirect.empty()) {
    const auto& a = r->response;
    if (a.peers.size() > limits.max_peers) __builtin_trap();
    if (a.interval < fluxo::kMinInterval || a.interval > fluxo::kMaxInterval) __builtin_trap();
  }
  // A reply called complete is settled: bytes after it change nothing.
  if (fluxo::tracker_reply_complete(raw, limits)) {
    std::string more(raw);
    more += "\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
    auto again = fluxo::interpret_tracker_reply(more, limits);
    if (again.is_ok() != r.is_ok() || again.status().code() != r.status().code()) __builtin_trap();
    if (r && (again->redirect != r->redirect || again->response.peers != r->response.peers))
      __builtin_trap();
  }
  return 0;
}
