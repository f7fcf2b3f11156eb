// Blame by evidence ("smart ban"): who sent the bad blocks of a piece that
// failed its hash, decided without guessing.
//
//  - A piece whose blocks all came from one peer and failed: that peer lied.
//  - A piece with blocks from several peers failed: nobody is blamed yet.
//    Each block's digest is kept with its sender, and the piece is fetched
//    again from one peer only. When it later passes, every recorded block
//    whose digest differs from the good block's came from a liar; the
//    senders of matching blocks are cleared. (If the single-source refetch
//    fails instead, that peer alone sent it: the first rule.)
//
// An honest peer is therefore never blamed for a piece it shared with a
// liar. Memory: at most `max_pieces` pieces with evidence (the oldest is
// forgotten first) and at most `max_blocks` block records per piece; a
// record is checked against the others of its own block only.
//
// Pure logic: digests are computed by the caller. Not thread-safe; in a
// download it is used only on the pipeline's serial writer stage.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/types.h"

namespace fluxo {

struct BlockEvidence {
  std::uint32_t block = 0;
  std::string source;  // the sender's IP address
  Sha1Digest digest{};
};

class BlameBook {
 public:
  explicit BlameBook(std::size_t max_pieces = 64, std::size_t max_blocks = 4096)
      : max_pieces_(max_pieces), max_blocks_(max_blocks) {}

  // A piece failed with blocks from several sources: keep what each sent.
  void record_failure(PieceIndex piece, std::vector<BlockEvidence> blocks);
  bool has_evidence(PieceIndex piece) const { return pieces_.count(piece.value()) != 0; }
  // The piece passed with these block digests: returns the sources whose
  // recorded blocks differ (each once), and forgets the piece.
  std::vector<std::string> resolve(PieceIndex piece, const std::vector<Sha1Digest>& good);
  std::size_t pieces() const { return pieces_.size(); }

 private:
  std::size_t max_pieces_;
  std::size_t max_blocks_;
  struct Evidence {
    std::size_t records = 0;
    // block -> what each source sent for it
    std::map<std::uint32_t, std::vector<std::pair<std::string, Sha1Digest>>> blocks;
  };
  std::map<std::uint32_t, Evidence> pieces_;
  std::deque<std::uint32_t> order_;  // pieces in the order their first failure came
};

}  // namespace fluxo
