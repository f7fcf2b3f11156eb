// Test support: a child process that runs in the background while a test
// talks to it (seeders, trackers), killed when the object goes away.
#pragma once

#include <sys/types.h>

#include <thread>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fluxo::test {

class BackgroundProcess {
 public:
  // Starts argv with stdin a pipe (closing it tells our helper scripts to
  // quit), stdout a pipe drained all the time by a thread of ours (so a
  // child that prints a lot never blocks on a full pipe), stderr to
  // `log_path`.
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Reads stdout lines until one starts with `prefix`; every line read is
  // appended to lines(). False on timeout or end of output.
  bool wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout);
  const std::vector<std::string>& lines() const { return lines_; }
  // Everything it printed so far (reading what is waiting, without blocking),
  // for failure messages.
  std::string output();
  void kill_now();  // SIGKILL
  // Sends `signal` and waits up to `timeout` for the exit; returns the exit
  // code (128 + signal number when killed by one), -1 after a timeout (then
  // it is SIGKILLed).
  int stop(int signal, std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  void drain();  // the reader thread's loop
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::mutex mu_;
  std::condition_variable more_;
  std::string unread_;   // guarded by mu_: read from the pipe, not yet split
  bool eof_ = false;     // guarded by mu_
  std::string partial_;  // the caller's: an unfinished last line
  std::vector<std::string> lines_;
  std::atomic<bool> quit_{false};
  std::thread reader_;
};

// An opentracker on 127.0.0.x:port, chrooted to a private directory, with a
// whitelist of info-hashes; runs as nobody (it refuses root).
class OpenTracker {
 public:
  OpenTracker(const std::string& dir, const std::string& ip, int port,
              const std::vector<std::string>& info_hashes_hex);
  std::string announce_url() const { return url_; }

 private:
  std::string url_;
  std::unique_ptr<BackgroundProcess> proc_;
};

}  // namespace fluxo::test
