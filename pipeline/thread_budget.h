// How many threads oneTBB may run in this process, decided once, before
// anything touches oneTBB (a recheck, the upload prefetcher, the peer
// arena): oneTBB sizes its worker pool when it is first used, and a limit
// raised later does not reach past the pool's default cap (256 workers here),
// so with more peers than that some sessions would never run.
//
// The budget: every connection blocks a worker in a receive, and a worker
// blocked in one arena cannot be lent to another, so peers count twice
// (2 x max_peers), plus the hashing threads, plus a few for the tracker,
// the listener, the upload prefetcher and oneTBB's own needs. Threads are
// created only on demand: an idle budget costs nothing.
//
// Create one ThreadBudget per process, first thing in a command, and keep it
// alive while the engine runs. Not copyable.
#pragma once

#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <thread>

namespace fluxo {

class ThreadBudget {
 public:
  ThreadBudget(unsigned max_peers, unsigned hash_threads)
      : threads_(threads_for(max_peers, hash_threads)),
        control_(oneapi::tbb::global_control::max_allowed_parallelism, threads_) {}
  ThreadBudget(const ThreadBudget&) = delete;
  ThreadBudget& operator=(const ThreadBudget&) = delete;

  // hash_threads 0: one per core. (std::thread's count: asking oneTBB
  // would be using it.)
  static unsigned threads_for(unsigned max_peers, unsigned hash_threads) {
    if (hash_threads == 0) hash_threads = std::max(1u, std::thread::hardware_concurrency());
    return 2 * max_peers + hash_threads + 16;
  }
  unsigned threads() const { return threads_; }

 private:
  unsigned threads_;
  oneapi::tbb::global_control control_;
};

}  // namespace fluxo
