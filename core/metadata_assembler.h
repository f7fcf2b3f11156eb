// The info dictionary of a magnet link, put together from ut_metadata
// pieces (BEP 9) sent by several peers, and checked against the info-hash.
//
// Peers are named by a number the caller gives each connection. A peer
// first offers a size (its extended handshake's metadata_size); pieces are
// then handed out one peer per piece, and once none is left unasked, a
// piece asked of one other peer is asked of a second (so a peer that never
// answers holds nothing up); each data message must be a piece asked of
// that peer, of its exact length (16 KiB, the last one the rest: a size
// that is a multiple of 16 KiB ends with a whole piece).
//
// Trust: nobody is believed until the SHA-1 of the whole matches the
// info-hash. When it does not, the peers that sent the pieces are suspects:
// a lone sender is condemned at once; several senders and the attempt is
// made again from one peer at a time (solo), each failing solo attempt
// condemning its peer, so one liar among honest peers cannot get them
// condemned (a solo peer that sends nothing for `solo_stall` loses its turn
// to the next peer that asks, so a silent one holds nothing up either; and
// when peers offer different sizes, the smallest is fetched first, so a
// liar offering more than the real size holds nobody up), and a liar that claims another size than the others holds up
// nothing once its attempt has failed. Sizes above `max_size` are refused
// (the peer is dropped) before anything is allocated; memory is bounded by
// the size in use.
//
// Thread-safety: every member takes an internal lock (one object is shared
// by the fetching connections of one torrent).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace fluxo {

class MetadataAssembler {
 public:
  using PeerId = std::uint32_t;
  using Clock = std::chrono::steady_clock;
  MetadataAssembler(InfoHash hash, std::int64_t max_size,
                    std::chrono::milliseconds solo_stall = std::chrono::seconds(5),
                    std::function<Clock::time_point()> clock = &Clock::now);

  // `peer` says the metadata is `size` bytes. An error (the caller drops
  // the peer): out of 1..max_size.
  Status offer(PeerId peer, std::int64_t size);
  // The next piece `peer` should ask for, marked as asked of it; nullopt
  // when there is nothing for it now (done, all asked of others, it offered
  // another size than the one being fetched, it is condemned, or another
  // peer has the solo turn).
  std::optional<std::uint32_t> next_request(PeerId peer);
  // A data message. An error (the caller drops the peer): a length that is
  // not the piece's, a total_size that is not the one it offered, or the
  // whole failing its hash with this peer the lone (or solo) sender. A
  // piece not (or no longer) asked of it is ignored: a late answer, once
  // another peer's came first or the attempt restarted (the connection
  // checks that it asked at all).
  Status deliver(PeerId peer, std::uint32_t piece, std::int64_t total_size, std::span<const std::uint8_t> data);
  // The peer rejected `piece` (it is asked of someone else).
  void rejected(PeerId peer, std::uint32_t piece);
  // The peer is gone: its pieces in request go back.
  void gone(PeerId peer);

  bool complete() const;
  bool asked_of(std::uint32_t piece, PeerId peer) const;  // lock held
  bool condemned(PeerId peer) const;
  // The info dictionary's bytes, once complete().
  std::string info() const;
  // Pieces accepted so far, every attempt together (grows while peers are
  // of use).
  std::uint64_t accepted() const;
  // How many times the whole failed its hash.
  std::uint32_t failures() const;

 private:
  struct Offer {
    std::int64_t size = 0;
    bool live = true;
  };
  void restart(std::int64_t size);  // a new attempt at `size` (lock held)
  bool size_has_live_offer(std::int64_t size) const;
  std::uint32_t piece_length(std::uint32_t piece) const;
  Status finish();  // every piece in: the hash check (lock held)

  const InfoHash hash_;
  const std::int64_t max_size_;
  mutable std::mutex mu_;
  std::map<PeerId, Offer> offers_;
  std::set<PeerId> condemned_;
  std::int64_t size_ = 0;  // of the attempt in progress; 0: none yet
  std::vector<std::string> pieces_;
  std::vector<std::vector<PeerId>> asked_;  // a piece in request, from whom (two at most)
  std::vector<PeerId> from_;                  // who sent each piece
  std::uint32_t received_ = 0;
  bool solo_mode_ = false;            // after a failure with several senders
  std::optional<PeerId> solo_;        // the peer with the solo turn
  Clock::time_point solo_since_{};    // the turn began, or its last piece came
  const std::chrono::milliseconds solo_stall_;
  const std::function<Clock::time_point()> clock_;
  bool complete_ = false;
  std::string info_;
  std::uint32_t failures_ = 0;
  std::uint64_t accepted_ = 0;
};

}  // namespace fluxo
