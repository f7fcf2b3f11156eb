// Test support: a child process that runs in the background while a test
// talks to it (seeders, trackers), killed when the object goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace fluxo::test {

class BackgroundProcess {
 public:
  // Starts argv with stdin a pipe (closing it tells our helper scripts to
  // quit), stdout a pipe read by wait_for_line(), stderr to `log_path`.
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
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string partial_;
  std::vector<std::string> lines_;
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
