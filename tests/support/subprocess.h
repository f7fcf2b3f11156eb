// Test support: run a program, capture its output and exit code.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace fluxo::test {

struct ProcessResult {
  int exit_code = -1;  // 128+signal when killed by a signal
  std::string out;
  std::string err;
};

// How long run_process lets a program run: beyond it the program is taken as
// hung, its stacks are appended to `err` and it is killed (exit_code
// kHungExit). Below ctest's per-test timeout, so a hang fails one test only.
inline constexpr std::chrono::seconds kProcessDeadline{200};
inline constexpr int kHungExit = 250;

// Runs argv[0] (searched in PATH) with the given arguments and an empty stdin.
ProcessResult run_process(const std::vector<std::string>& argv);

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `size` bytes of deterministic pseudo-random data (seeded) to path,
// creating parent directories.
void write_random_file(const std::string& path, std::size_t size, unsigned seed);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);

}  // namespace fluxo::test
