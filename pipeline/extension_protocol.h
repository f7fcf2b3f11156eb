// The extension protocol (BEP 10) on one connection: our reserved bit, our
// extended handshake once both handshakes are done, and the peer's, parsed
// and kept. What rides on it sends under the id the PEER gave it in its
// 'm', never ours. Rides on it now: serving our metadata (ut_metadata, BEP
// 9: data for a piece in range, reject otherwise or past a per-connection
// budget) and peer exchange (ut_pex, BEP 11: the torrent's other peers, the
// whole list first, then what was added and dropped, at most once per
// `pex_interval`; what the peer sends joins the peer book as candidates,
// bounded, and more often than every half interval is ignored). Neither
// for private torrents: their config has no metadata and no PexRoster.
//
// Thread-safety: one object per connection, used on its task only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/extension_handshake.h"
#include "core/tracker_response.h"
#include "pipeline/peer_session.h"

namespace fluxo {

// The torrent's connections as PEX lists them: the listen address of each
// connection that is up (outgoing: the address dialled; incoming: its IP
// and the port its extended handshake gave). Thread-safe; one per torrent.
class PexRoster {
 public:
  void add(const PeerAddress& a, std::uint8_t flags);
  void remove(const PeerAddress& a);
  std::vector<std::pair<PeerAddress, std::uint8_t>> snapshot() const;

 private:
  struct Entry {
    PeerAddress address;
    std::uint8_t flags = 0;
    unsigned connections = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> live_;  // by "ip:port"; guarded by mu_
};

struct ExtensionConfig {
  std::string client;              // our 'v'
  std::uint16_t listen_port = 0;   // our 'p' (0: not listening, left out)
  std::uint32_t reqq = 0;          // requests we queue from one peer (0: left out)
  // The info dictionary, served by ut_metadata (BEP 9); null: not offered.
  std::shared_ptr<const std::string> metadata;
  // Peer exchange (BEP 11); null: not offered. `on_pex_peers` gets the
  // addresses a peer's messages add.
  std::shared_ptr<PexRoster> pex;
  std::function<void(std::vector<PeerAddress>)> on_pex_peers;
  std::chrono::milliseconds pex_interval{60000};
};

class ExtensionProtocol : public PeerExtensions {
 public:
  // `remote` is the peer's address (its 'yourip'; incoming: port 0).
  ExtensionProtocol(ExtensionConfig config, PeerAddress remote, bool incoming = false);
  ~ExtensionProtocol() override;

  void reserve(wire::Handshake& ours) const override;
  Status on_handshake(const wire::Handshake& theirs, MessageWriter& out) override;
  Status on_extended(std::uint8_t ext_id, std::span<const std::uint8_t> payload, MessageWriter& out) override;
  void tick(MessageWriter& out) override;

  // The peer's extended handshake, once it came (a second one updates it).
  const std::optional<ExtensionHandshake>& theirs() const { return theirs_; }

  static constexpr std::uint8_t kReservedByte = 5;
  static constexpr std::uint8_t kReservedBit = 0x10;
  // The ids we ask peers to send our extensions under (our 'm').
  static constexpr std::uint8_t kUtMetadata = 1;
  static constexpr std::uint8_t kUtPex = 2;
  // Addresses taken from one connection's PEX messages, in all.
  static constexpr std::size_t kMaxPexLearned = 1000;
  // Metadata requests answered per connection: a peer needs each piece once
  // (twice if it lost one); past this it gets rejects.
  static constexpr std::uint32_t kMetadataRequestsPerPiece = 4;

 private:
  Status on_metadata(std::span<const std::uint8_t> payload, MessageWriter& out);
  Status on_pex(std::span<const std::uint8_t> payload);
  void listed(const PeerAddress& listen);  // this connection is up, at `listen`

  using Clock = std::chrono::steady_clock;
  ExtensionConfig config_;
  PeerAddress remote_;
  bool incoming_ = false;
  std::optional<PeerAddress> listed_;  // in the PexRoster
  // PEX: what we told this peer last, when; when it last told us.
  std::set<std::string> pex_told_;
  std::optional<Clock::time_point> pex_sent_, pex_heard_;
  std::size_t pex_learned_ = 0;
  bool enabled_ = false;  // both sides set the bit
  std::optional<ExtensionHandshake> theirs_;
  std::uint32_t metadata_served_ = 0;
};

}  // namespace fluxo
