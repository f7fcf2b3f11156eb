// The session's memory for pieces in flight: one cap for every torrent, a
// few guaranteed buffers per torrent, handles that give themselves back.
#include "pipeline/piece_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace fluxo {
namespace {

constexpr std::size_t kPiece = 64 * 1024;

TEST(PieceMemory, APoolStopsAtTheCapOnceItHoldsItsGuaranteedBuffers) {
  MemoryBudget budget(4 * kPiece);
  PiecePool a(budget, kPiece, /*guaranteed=*/1);
  std::vector<PieceBuffer> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(a.try_acquire());
    ASSERT_TRUE(held.back()) << i;
  }
  EXPECT_FALSE(a.try_acquire());  // the cap is spent and a has its one
  EXPECT_EQ(budget.in_use(), 4 * kPiece);
  EXPECT_EQ(a.in_use(), 4u);
  // A second torrent still gets its guaranteed buffers: it is never starved.
  PiecePool b(budget, kPiece, /*guaranteed=*/2);
  PieceBuffer b1 = b.try_acquire(), b2 = b.try_acquire();
  EXPECT_TRUE(b1 && b2);
  EXPECT_FALSE(b.try_acquire());
  EXPECT_EQ(budget.peak(), 6 * kPiece);
  EXPECT_EQ(b.peak_in_use(), 2u);
}

TEST(PieceMemory, AHandleGivesItsMemoryBackWhenDestroyedResetOrOverwritten) {
  MemoryBudget budget(2 * kPiece);
  PiecePool pool(budget, kPiece, 0);
  {
    PieceBuffer x = pool.try_acquire();
    ASSERT_TRUE(x);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(x.data()) % 4096, 0u);  // O_DIRECT writes
    PieceBuffer moved = std::move(x);
    EXPECT_FALSE(x);  // NOLINT(bugprone-use-after-move): the moved-from handle is empty
    EXPECT_EQ(pool.in_use(), 1u);
  }
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(budget.in_use(), 0u);
  PieceBuffer y = pool.try_acquire();
  y.reset();
  EXPECT_EQ(budget.in_use(), 0u);
  PieceBuffer z = pool.try_acquire();
  z = pool.try_acquire();  // the first goes back as the second arrives
  EXPECT_EQ(pool.in_use(), 1u);
  EXPECT_EQ(budget.in_use(), kPiece);
}

TEST(PieceMemory, FreedBuffersAreReusedWithinTheCap) {
  MemoryBudget budget(2 * kPiece);
  PiecePool pool(budget, kPiece, 0);
  std::uint8_t* first = nullptr;
  {
    PieceBuffer x = pool.try_acquire();
    first = x.data();
  }
  PieceBuffer again = pool.try_acquire();
  EXPECT_EQ(again.data(), first);  // its pages are already faulted in
  // A torrent of another piece size takes the kept memory's place.
  PiecePool big(budget, 2 * kPiece, 0);
  again.reset();
  EXPECT_TRUE(big.try_acquire());
}

TEST(PieceMemory, CapBytesIsTheBudgetOrTheGuarantee) {
  MemoryBudget budget(kPiece);
  EXPECT_EQ(PiecePool(budget, kPiece, 4).cap_bytes(), 4 * kPiece);
  EXPECT_EQ(PiecePool(budget, 1024, 4).cap_bytes(), kPiece);
}

}  // namespace
}  // namespace fluxo
