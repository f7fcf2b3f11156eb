// libFuzzer target: the MetadataAssembler driven by hostile peers. The
// input is a script of operations (offer, request, deliver, reject, gone)
// by up to four peers, with sizes and piece bytes from the input; the
// metadata is 40,000 bytes whose hash the assembler knows. Whatever the
// script: nothing crashes, and once complete, the bytes are exactly the
// real metadata (a liar can never get its bytes accepted).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/metadata_assembler.h"
#include "core/metadata_message.h"
#include "core/sha1.h"

namespace {

const std::string& real_info() {
  static const std::string info = [] {
    std::string s(40'000, '\0');
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 31 + 7);
    return s;
  }();
  return info;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using fluxo::MetadataAssembler;
  fluxo::InfoHash hash;
  hash.bytes = fluxo::sha1(real_info());
  auto now = MetadataAssembler::Clock::time_point{};
  MetadataAssembler a(hash, 1 << 20, std::chrono::seconds(5), [&] { return now; });
  std::size_t at = 0;
  auto next = [&]() -> std::uint8_t { return at < size ? data[at++] : 0; };
  while (at < size) {
    const std::uint8_t op = next();
    const MetadataAssembler::PeerId peer = op & 3;
    switch ((op >> 2) % 6) {
      case 0: {  // offer: the real size, or one from the input
        const std::int64_t offered = (next() & 1) ? 40'000 : (std::int64_t{next()} << 12 | next()) - 5;
        (void)a.offer(peer, offered);
        break;
      }
      case 1:
        (void)a.next_request(peer);
        break;
      case 2: {  // an honest piece, or one with a byte changed, or of another length
        const std::uint32_t piece = next() % 4;
        const std::size_t begin = std::min<std::size_t>(piece * fluxo::kMetadataPiece, real_info().size());
        std::string bytes = real_info().substr(begin, fluxo::kMetadataPiece);
        const std::uint8_t how = next();
        if (how & 1 && !bytes.empty()) bytes[how % bytes.size()] ^= 1;
        if (how & 2) bytes.resize(bytes.size() / 2);
        (void)a.deliver(peer, piece, (how & 4) ? 40'001 : 40'000,
                        std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
        break;
      }
      case 3:
        a.rejected(peer, next() % 4);
        break;
      case 4:
        a.gone(peer);
        break;
      case 5:
        now += std::chrono::seconds(next() % 8);
        break;
    }
    if (a.complete() && a.info() != real_info()) __builtin_trap();
  }
  return 0;
}
