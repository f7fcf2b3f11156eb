#include "tests/support/background.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace fluxo::test {

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // its own group: killed with its children
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int rc = ::posix_spawnp(&pid_, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  in_ = in_pipe[1];
  out_ = out_pipe[0];
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  reader_ = std::thread([this] { drain(); });
}

void BackgroundProcess::drain() {
  char buf[4096];
  while (!quit_.load()) {
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(out_, buf, sizeof buf);
    std::lock_guard lock(mu_);
    if (n <= 0) {
      eof_ = true;
      more_.notify_all();
      return;
    }
    unread_.append(buf, static_cast<std::size_t>(n));
    more_.notify_all();
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (in_ >= 0) ::close(in_);  // polite: our helpers exit when stdin closes
  if (pid_ > 0) {
    for (int i = 0; i < 30; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  quit_.store(true);
  if (reader_.joinable()) reader_.join();
  if (out_ >= 0) ::close(out_);
}

int BackgroundProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill_now();
  return -1;
}

void BackgroundProcess::kill_now() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

bool BackgroundProcess::wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
      std::string line = partial_.substr(0, nl);
      partial_.erase(0, nl + 1);
      lines_.push_back(line);
      if (line.rfind(prefix, 0) == 0) return true;
    }
    std::unique_lock lock(mu_);
    if (!more_.wait_until(lock, deadline, [this] { return !unread_.empty() || eof_; })) return false;
    if (unread_.empty()) return false;  // the end of its output
    partial_ += std::exchange(unread_, {});
  }
}

std::string BackgroundProcess::output() {
  {
    std::lock_guard lock(mu_);
    partial_ += std::exchange(unread_, {});
  }
  std::string all;
  for (const auto& l : lines_) all += l + "\n";
  return all + partial_;
}

OpenTracker::OpenTracker(const std::string& dir, const std::string& ip, int port,
                         const std::vector<std::string>& info_hashes_hex) {
  std::filesystem::create_directories(dir);
  ::chmod(dir.c_str(), 0755);
  {
    std::ofstream w(dir + "/whitelist");
    for (const auto& h : info_hashes_hex) w << h << "\n";
  }
  ::chmod((dir + "/whitelist").c_str(), 0644);
  // opentracker has no stdin to watch: a shell ends it when our end of the
  // pipe closes, even if this test process is killed.
  std::string cmd = "opentracker -i " + ip + " -p " + std::to_string(port) + " -P " + std::to_string(port) +
                    " -d '" + dir + "' -u nobody -w /whitelist & pid=$!; cat >/dev/null; kill $pid";
  std::vector<std::string> argv{"/bin/sh", "-c", cmd};
  proc_ = std::make_unique<BackgroundProcess>(argv, dir + ".log");
  url_ = "http://" + ip + ":" + std::to_string(port) + "/announce";
  // Ready when it accepts connections.
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return;
  }
  throw std::runtime_error("opentracker did not start");
}

}  // namespace fluxo::test
