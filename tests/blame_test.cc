// Blame by evidence: only the senders of blocks that differ from the
// verified piece are named.
#include <gtest/gtest.h>

#include "pipeline/blame.h"

namespace fluxo {
namespace {

Sha1Digest d(std::uint8_t v) {
  Sha1Digest x{};
  x.fill(v);
  return x;
}

TEST(BlameBook, OnlyTheSourcesOfDifferingBlocksAreNamed) {
  BlameBook book;
  // Blocks 0 and 2 from the honest peer, 1 from the liar (bad), 3 from a
  // second honest peer.
  book.record_failure(PieceIndex(7), {{0, "honest", d(1)}, {1, "liar", d(99)}, {2, "honest", d(3)}, {3, "other", d(4)}});
  EXPECT_TRUE(book.has_evidence(PieceIndex(7)));
  auto liars = book.resolve(PieceIndex(7), {d(1), d(2), d(3), d(4)});
  EXPECT_EQ(liars, std::vector<std::string>{"liar"});
  EXPECT_FALSE(book.has_evidence(PieceIndex(7)));
}

TEST(BlameBook, EvidenceFromSeveralFailuresAddsUp) {
  BlameBook book;
  book.record_failure(PieceIndex(1), {{0, "a", d(1)}, {1, "b", d(9)}});
  book.record_failure(PieceIndex(1), {{0, "c", d(8)}, {1, "a", d(2)}});
  auto liars = book.resolve(PieceIndex(1), {d(1), d(2)});
  std::sort(liars.begin(), liars.end());
  EXPECT_EQ(liars, (std::vector<std::string>{"b", "c"}));
}

TEST(BlameBook, NoEvidenceNamesNobody) {
  BlameBook book;
  EXPECT_TRUE(book.resolve(PieceIndex(3), {d(1)}).empty());
}

TEST(BlameBook, MemoryIsBoundedByPiecesAndBlocks) {
  BlameBook book(/*max_pieces=*/2, /*max_blocks=*/3);
  for (std::uint32_t p = 0; p < 3; ++p) book.record_failure(PieceIndex(p), {{0, "x", d(1)}});
  EXPECT_EQ(book.pieces(), 2u);
  EXPECT_FALSE(book.has_evidence(PieceIndex(0)));  // the oldest went first
  std::vector<BlockEvidence> many;
  for (std::uint32_t b = 0; b < 10; ++b) many.push_back({b, "src" + std::to_string(b), d(7)});
  book.record_failure(PieceIndex(2), many);
  // Only the first three records were kept: block 3's sender is not named.
  std::vector<Sha1Digest> good(10, d(0));
  auto liars = book.resolve(PieceIndex(2), good);
  EXPECT_EQ(liars.size(), 3u);
}

}  // namespace
}  // namespace fluxo
