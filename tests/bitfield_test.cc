#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/atomic_bitfield.h"
#include "core/bitfield.h"

namespace fluxo {
namespace {

TEST(Bitfield, WireOrderIsHighBitFirst) {
  Bitfield b(10);
  b.set(PieceIndex(0));
  b.set(PieceIndex(9));
  EXPECT_EQ(b.bytes()[0], 0x80);
  EXPECT_EQ(b.bytes()[1], 0x40);
  EXPECT_EQ(b.count(), 2u);
  b.set(PieceIndex(9));
  EXPECT_EQ(b.count(), 2u);
  EXPECT_TRUE(b.test(PieceIndex(9)));
  EXPECT_FALSE(b.test(PieceIndex(8)));
}

TEST(Bitfield, FromWireChecksSizeAndSpareBits) {
  std::vector<std::uint8_t> ok{0xff, 0xc0};
  Bitfield b;
  ASSERT_TRUE(Bitfield::from_wire(ok, 10, b));
  EXPECT_TRUE(b.all());
  std::vector<std::uint8_t> spare{0xff, 0xe0};
  EXPECT_FALSE(Bitfield::from_wire(spare, 10, b));
  std::vector<std::uint8_t> short_{0xff};
  EXPECT_FALSE(Bitfield::from_wire(short_, 10, b));
  std::vector<std::uint8_t> exact{0xff};
  EXPECT_TRUE(Bitfield::from_wire(exact, 8, b));
}

TEST(AtomicBitfield, ClaimIsWonExactlyOnce) {
  AtomicBitfield claimed(1000);
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (std::uint32_t i = 0; i < 1000; ++i) {
        if (claimed.try_claim(PieceIndex(i))) wins.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1000);
  EXPECT_TRUE(claimed.all());
  EXPECT_TRUE(claimed.clear(PieceIndex(500)));
  EXPECT_FALSE(claimed.clear(PieceIndex(500)));
  EXPECT_EQ(claimed.count(), 999u);
  EXPECT_TRUE(claimed.try_claim(PieceIndex(500)));
}

}  // namespace
}  // namespace fluxo
