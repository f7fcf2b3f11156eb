#include "pipeline/thread_budget.h"

namespace fluxo {

ThreadBudget::ThreadBudget(unsigned max_peers, unsigned hash_threads, unsigned blocking_slots)
    : threads_(threads_for(max_peers, hash_threads)),
      base_(2 * hashing(hash_threads) + kSpare),
      ceiling_(oneapi::tbb::global_control::max_allowed_parallelism, threads_),
      arena_(static_cast<int>(std::max(1u, blocking_slots)), 0) {
  arena_.initialize();  // the pool's cap is taken from the ceiling, here
  std::lock_guard lock(mu_);
  apply();
}

void ThreadBudget::add_blocking() {
  std::lock_guard lock(mu_);
  ++blocking_;
  apply();
}

void ThreadBudget::remove_blocking() {
  std::lock_guard lock(mu_);
  if (blocking_ > 0) --blocking_;
  apply();
}

unsigned ThreadBudget::limit() const {
  std::lock_guard lock(mu_);
  return std::min(threads_, base_ + blocking_);
}

void ThreadBudget::apply() {
  // oneTBB applies the smallest of the limits alive: the new one is made
  // before the old one goes, so the limit moves once, to the new value.
  auto next = std::make_unique<oneapi::tbb::global_control>(oneapi::tbb::global_control::max_allowed_parallelism,
                                                             std::min(threads_, base_ + blocking_));
  in_force_.swap(next);  // the old one goes at the end of this scope
}

}  // namespace fluxo
