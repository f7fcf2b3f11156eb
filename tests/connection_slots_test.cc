// The session's connection budget and the rules of Session::add, without
// sockets: slots beyond the budget only for incoming connections, no two
// torrents with one info-hash or one path.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/bencode_value.h"
#include "session/session.h"

namespace fluxo {
namespace {

TEST(ConnectionSlots, DialsStopAtTheLimitIncomingMayUseTheSpares) {
  ConnectionSlots slots(3, 2);
  EXPECT_TRUE(slots.try_take());
  EXPECT_TRUE(slots.try_take());
  EXPECT_TRUE(slots.try_take());
  EXPECT_FALSE(slots.try_take());  // the budget is spent for dialling
  EXPECT_TRUE(slots.try_take_spare());
  EXPECT_TRUE(slots.try_take_spare());
  EXPECT_FALSE(slots.try_take_spare());
  EXPECT_EQ(slots.in_use(), 5u);
  slots.give_back();
  slots.give_back();
  slots.give_back();
  EXPECT_TRUE(slots.try_take());  // 3 in use again
  EXPECT_FALSE(slots.try_take());
}

TEST(ConnectionSlots, NeverMoreThanTheCapacityFromManyThreads) {
  ConnectionSlots slots(50, 10);
  std::atomic<unsigned> got{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        if (t % 2 ? slots.try_take_spare() : slots.try_take()) got.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(got.load(), 60u);
  EXPECT_EQ(slots.in_use(), 60u);
}

Metainfo torrent(const std::string& name, char fill) {
  using bencode::Value;
  Value::Dict info{{"name", name}, {"piece length", std::int64_t{16384}}, {"length", std::int64_t{100}},
                   {"pieces", std::string(20, fill)}};
  return *parse_metainfo(bencode::encode(Value(Value::Dict{{"info", info}})));
}

TEST(Session, RefusesATorrentTwiceAndTwoTorrentsAtOnePath) {
  SessionOptions so;
  so.listen = false;
  Session session(so);
  TorrentOptions o;
  o.directory = "out";
  ASSERT_TRUE(session.add(torrent("a", 'x'), o));
  auto twice = session.add(torrent("a", 'x'), o);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.status().message().find("in this session already"), std::string::npos);
  // Another torrent of the same name in the same directory (spelled
  // differently) would write the same files.
  o.directory = "./out/";
  auto same_path = session.add(torrent("a", 'y'), o);
  ASSERT_FALSE(same_path);
  EXPECT_EQ(same_path.status().code(), ErrorCode::invalid_argument);
  // In another directory it is welcome.
  o.directory = "out2";
  EXPECT_TRUE(session.add(torrent("a", 'y'), o));
  EXPECT_EQ(session.torrents().size(), 2u);
}

TEST(Session, AnInterruptBeforeAnythingRanCancelsEveryQueuedTorrent) {
  SessionOptions so;
  so.listen = false;
  Session session(so);
  TorrentOptions o;
  o.directory = ::testing::TempDir();
  ASSERT_TRUE(session.add(torrent("q1", 'x'), o));
  ASSERT_TRUE(session.add(torrent("q2", 'y'), o));
  std::atomic<bool> interrupt{true};
  std::vector<std::string> finished;
  Status run = session.run(
      [&](const Torrent* t, const DownloadEvent& e) {
        if (t && e.kind == DownloadEvent::Kind::finished) finished.push_back(t->meta().name);
      },
      interrupt);
  EXPECT_TRUE(run.is_ok());
  EXPECT_EQ(finished, (std::vector<std::string>{"q1", "q2"}));
  for (const auto& t : session.torrents()) {
    EXPECT_EQ(t->state(), Torrent::State::finished);
    EXPECT_EQ(t->result().status.code(), ErrorCode::cancelled);
    EXPECT_FALSE(t->ran());
  }
}

}  // namespace
}  // namespace fluxo
