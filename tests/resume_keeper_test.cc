// Resume data saved off the supervisor's thread: what it lists is what was
// verified, a save with nothing new is skipped, and a failure is reported
// once.
#include "session/resume_keeper.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "storage/memory_storage.h"
#include "storage/resume_file.h"
#include "tests/support/subprocess.h"
#include "tests/support/tiny_torrent.h"

namespace fluxo {
namespace {

using namespace std::chrono_literals;

void wait_idle(const ResumeKeeper& k) {
  for (int i = 0; i < 500 && !k.idle(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(k.idle());
}

TEST(ResumeKeeper, SavesWhatIsVerifiedOnItsOwnThreadAndSkipsWhenNothingChanged) {
  test::TempDir dir;
  test::TinyTorrent t(10, 16384);
  MemoryStorage storage(t.meta.total_size);
  AtomicBitfield have(t.meta.piece_count());
  ResumeKeeper keeper(t.meta, dir.path(), storage, 0);
  EXPECT_FALSE(keeper.save(have));  // nothing verified yet
  have.set(PieceIndex(2));
  have.set(PieceIndex(7));
  ASSERT_TRUE(keeper.save(have));
  wait_idle(keeper);
  EXPECT_FALSE(keeper.take_error());
  EXPECT_EQ(keeper.saved(), 2u);
  EXPECT_EQ(storage.syncs(), 1u);  // the data was synced before it was listed
  auto loaded = load_resume(dir.path(), t.meta);
  ASSERT_TRUE(loaded) << loaded.status().message();
  EXPECT_EQ(loaded->pieces.count(), 2u);
  EXPECT_TRUE(loaded->pieces.test(PieceIndex(2)) && loaded->pieces.test(PieceIndex(7)));
  EXPECT_FALSE(keeper.save(have));  // nothing new
  EXPECT_EQ(storage.syncs(), 1u);
}

TEST(ResumeKeeper, AFailedSaveIsReportedOnceAndListsNothing) {
  test::TempDir dir;
  test::TinyTorrent t(4, 16384);
  MemoryStorage storage(t.meta.total_size);
  AtomicBitfield have(t.meta.piece_count());
  // .fluxo is a file: the resume data cannot be written beneath it.
  test::write_file(dir / ".fluxo", "not a directory");
  ResumeKeeper keeper(t.meta, dir.path(), storage, 0);
  have.set(PieceIndex(1));
  ASSERT_TRUE(keeper.save(have));
  wait_idle(keeper);
  auto e = keeper.take_error();
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->is_ok());
  EXPECT_FALSE(keeper.take_error());
  EXPECT_EQ(keeper.saved(), 0u);
  EXPECT_TRUE(keeper.save(have));  // tried again next time
  wait_idle(keeper);
}

}  // namespace
}  // namespace fluxo
