// How many threads oneTBB may run in this process.
//
// Two numbers. The ceiling is decided once, before anything touches oneTBB
// (a recheck, the upload prefetcher, the peer arena): oneTBB sizes its
// worker pool when it is first used, and a limit raised later does not reach
// past that pool's cap (256 workers here), so with more peers than that some
// sessions would never run. Every connection blocks a worker in a receive,
// and a worker blocked in one arena cannot be lent to another, so peers count
// twice (2 x max_peers), plus the hashing threads of two arenas (below),
// plus a few for the listener, the upload prefetcher and oneTBB's own needs:
// never below the limit in force at its highest.
//
// The limit in force follows the threads that block: twice the hashing
// threads (the download's hashing arena and one recheck may both run) and a
// few spare, plus one per blocking task alive (add_blocking / remove_blocking,
// called by TaskRunners around each runner's life). oneTBB asks for every
// slot of an arena whenever a task is enqueued in it, so with the ceiling in
// force a peer arena sized for 200 connections got ~230 worker threads in a
// process with one peer, and each new runner woke the idle ones to spin and
// sched_yield before they slept again. Under ThreadSanitizer, whose runtime
// has a fixed number of thread slots (256), such processes crawled. With the
// limit following the runners, a process has about as many oneTBB workers
// as it has blocking tasks plus the hashing threads, and a new runner wakes
// at most the spare and hashing workers' worth (4 + 2 x hashing threads)
// rather than every idle one.
//
// The budget owns the arena for blocking tasks, sized for them (`blocking_
// slots`) and set up in the constructor, while the ceiling is the limit in
// force: set up later, under a lower limit, oneTBB would print a warning
// that its request for workers is ignored.
//
// The hashing arenas (piece_pipeline.h, piece_hasher.h) run at high
// priority: oneTBB shares a limit below the arenas' total demand in
// proportion to it, and the peer arena's demand (its slots) would otherwise
// leave the hashing none. High priority is served first, so the base counts
// both hashing arenas: with one, a new runner would wait for a worker while
// a recheck and a download hashed at once on more than 5 hashing threads.
//
// Create one ThreadBudget per process, first thing in a command, and keep it
// alive while the engine runs. Thread-safe; not copyable.
#pragma once

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>

namespace fluxo {

class ThreadBudget {
 public:
  // Workers kept beyond the blocking tasks and the hashing threads.
  static constexpr unsigned kSpare = 4;

  ThreadBudget(unsigned max_peers, unsigned hash_threads, unsigned blocking_slots);
  ThreadBudget(const ThreadBudget&) = delete;
  ThreadBudget& operator=(const ThreadBudget&) = delete;

  // hash_threads 0: one per core. (std::thread's count: asking oneTBB
  // would be using it.)
  static unsigned threads_for(unsigned max_peers, unsigned hash_threads) {
    return 2 * max_peers + 2 * hashing(hash_threads) + 16;
  }
  unsigned threads() const { return threads_; }  // the ceiling

  // A task that will block a worker starts (before it is enqueued) or has
  // ended. The limit in force is raised or lowered by one, within the
  // ceiling.
  void add_blocking();
  void remove_blocking();

  unsigned limit() const;  // in force now

  // Where blocking tasks run (TaskRunners): `blocking_slots` slots, none
  // reserved for the thread that calls it.
  oneapi::tbb::task_arena& blocking_arena() { return arena_; }

 private:
  static unsigned hashing(unsigned hash_threads) {
    return hash_threads ? hash_threads : std::max(1u, std::thread::hardware_concurrency());
  }
  void apply();  // mu_ held

  const unsigned threads_;
  const unsigned base_;
  mutable std::mutex mu_;
  unsigned blocking_ = 0;  // guarded by mu_
  // oneTBB keeps the address of every global_control alive: never moved.
  // Declared before the ceiling, so destroyed after it: the limit never
  // rises to the ceiling on the way out (which would wake a worker per
  // slot of the arena, were it still asking).
  std::unique_ptr<oneapi::tbb::global_control> in_force_;  // guarded by mu_
  oneapi::tbb::global_control ceiling_;
  // Set up in the constructor: oneTBB's scheduler then lives from there
  // on, its pool sized while the ceiling is the only limit in force.
  oneapi::tbb::task_arena arena_;
};

}  // namespace fluxo
