// The Committer's blame, end to end over real ActivePieces: an honest peer
// that shared a failed piece with a liar is never banned; the liar is, once
// the piece passes from a single source.
#include "pipeline/committer.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/bencode_value.h"

namespace fluxo {
namespace {

using bencode::Value;

constexpr std::int64_t kPiece = 4 * 16384;

struct Swarm {
  Swarm() : data(2 * kPiece, '\0') {
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 1000);
    std::string hashes;
    for (std::size_t at = 0; at < data.size(); at += kPiece) {
      auto d = sha1(std::span(reinterpret_cast<const std::uint8_t*>(data.data() + at), kPiece));
      hashes.append(reinterpret_cast<const char*>(d.data()), d.size());
    }
    Value::Dict info{{"name", "f"}, {"piece length", kPiece}, {"length", static_cast<std::int64_t>(data.size())},
                     {"pieces", hashes}};
    meta = *parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
    state = std::make_unique<SwarmState>(meta, memory, ConnectionLimits{});
  }

  // A piece of `index` whose block b comes from who[b]; blocks from a
  // source named "liar..." are garbage.
  std::shared_ptr<ActivePiece> piece(std::uint32_t index, const std::vector<std::string>& who) {
    auto p = std::make_shared<ActivePiece>(PieceIndex(index), kPiece, state->pool.try_acquire());
    for (std::uint32_t b = 0; b < who.size(); ++b) {
      (void)p->request_block(1);
      auto c = p->begin_block(b * 16384, 16384, who[b]);
      EXPECT_EQ(c.arrival, ActivePiece::Arrival::write);
      std::memcpy(p->data() + b * 16384, data.data() + index * kPiece + b * 16384, 16384);
      if (who[b].rfind("liar", 0) == 0) p->data()[b * 16384 + 5] ^= 0x5A;
      (void)p->block_written(b * 16384, c.token);
    }
    return p;
  }

  std::string data;
  Metainfo meta;
  MemoryBudget memory{4 * kPiece};
  std::unique_ptr<SwarmState> state;
};

TEST(Committer, AnHonestPeerThatSharedAFailedPieceWithALiarIsNeverBanned) {
  Swarm s;
  std::vector<std::string> banned;
  Committer c(*s.state, [&](const std::string& ip, const std::string&) { banned.push_back(ip); });
  c.on_hash_failed(s.piece(0, {"honest", "liar", "honest", "honest"}));
  EXPECT_TRUE(banned.empty());  // nobody yet: two senders
  EXPECT_TRUE(s.state->single_source.test(PieceIndex(0)));
  EXPECT_FALSE(s.state->claimed.test(PieceIndex(0)));  // fetched again
  // The refetch from the honest peer alone passes: the liar's block differed.
  c.on_verified(s.piece(0, {"honest", "honest", "honest", "honest"}));
  EXPECT_EQ(banned, std::vector<std::string>{"liar"});
  EXPECT_TRUE(s.state->peers.banned("liar"));
  EXPECT_FALSE(s.state->peers.banned("honest"));
  EXPECT_FALSE(s.state->single_source.test(PieceIndex(0)));
  EXPECT_TRUE(s.state->have.test(PieceIndex(0)));
}

TEST(Committer, ALoneSenderOfAFailedPieceIsBannedAtOnce) {
  Swarm s;
  std::vector<std::string> banned;
  Committer c(*s.state, [&](const std::string& ip, const std::string&) { banned.push_back(ip); });
  c.on_hash_failed(s.piece(1, {"liar", "liar", "liar", "liar"}));
  EXPECT_EQ(banned, std::vector<std::string>{"liar"});
  EXPECT_FALSE(s.state->single_source.test(PieceIndex(1)));
}

TEST(Committer, ASingleSourceRefetchThatFailsBansItsSender) {
  Swarm s;
  std::vector<std::string> banned;
  Committer c(*s.state, [&](const std::string& ip, const std::string&) { banned.push_back(ip); });
  c.on_hash_failed(s.piece(0, {"honest", "liar2", "honest", "honest"}));
  c.on_hash_failed(s.piece(0, {"liar2", "liar2", "liar2", "liar2"}));
  EXPECT_EQ(banned, std::vector<std::string>{"liar2"});
  EXPECT_FALSE(s.state->peers.banned("honest"));
}

TEST(Committer, AWriteFailureStopsTheDownloadWithTheFirstError) {
  Swarm s;
  Committer c(*s.state, nullptr);
  c.on_write_failed(s.piece(0, {"a", "a", "a", "a"}), Status(ErrorCode::io_error, "disk full"));
  c.on_write_failed(s.piece(1, {"a", "a", "a", "a"}), Status(ErrorCode::io_error, "later"));
  EXPECT_EQ(c.error().message(), "disk full");
  EXPECT_TRUE(s.state->stop.load());
}

}  // namespace
}  // namespace fluxo
