// Two PeerStreams joined in memory (net/peer_stream.h): what one end sends,
// the other receives. For tests of the peer wire code (a connection's state
// machine, the message reader and writer) without sockets. Sends never block
// (the buffer is unbounded); a receive waits up to its `wait` for data; once
// an end is closed (or destroyed) the other end's receives fail as a socket's
// do when the peer hangs up.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>

#include "net/peer_stream.h"

namespace fluxo {

class MemoryStream : public PeerStream {
 public:
  static std::pair<std::unique_ptr<MemoryStream>, std::unique_ptr<MemoryStream>> pair(std::string a = "a:1",
                                                                                      std::string b = "b:1") {
    auto shared = std::make_shared<Shared>();
    return {std::unique_ptr<MemoryStream>(new MemoryStream(shared, 0, std::move(b))),
            std::unique_ptr<MemoryStream>(new MemoryStream(shared, 1, std::move(a)))};
  }
  ~MemoryStream() override { close(); }

  // Hangs up: the other end's receives fail once it has read what was sent.
  void close() {
    std::lock_guard lock(s_->mu);
    s_->closed[side_] = true;
    s_->cv.notify_all();
  }
  // Bytes this end has sent in all.
  std::size_t sent() const {
    std::lock_guard lock(s_->mu);
    return s_->sent[side_];
  }

  void watch(const std::atomic<bool>* stop, const std::atomic<bool>* also, std::chrono::milliseconds) override {
    stop_ = stop;
    also_ = also;
  }
  Status send_all(std::span<const std::uint8_t> data) override {
    std::lock_guard lock(s_->mu);
    if (s_->closed[1 - side_]) return Status(ErrorCode::network_error, remote_ + ": connection closed");
    auto& q = s_->q[1 - side_];
    q.insert(q.end(), data.begin(), data.end());
    s_->sent[side_] += data.size();
    s_->cv.notify_all();
    return Status::ok();
  }
  Status send_all(std::span<iovec> parts) override {
    for (auto& v : parts) {
      if (Status st = send_all(std::span(static_cast<const std::uint8_t*>(v.iov_base), v.iov_len)); !st) return st;
      v.iov_len = 0;
    }
    return Status::ok();
  }
  std::size_t available() override {
    std::lock_guard lock(s_->mu);
    return s_->q[side_].size();
  }
  Result<std::size_t> receive_some(std::span<std::uint8_t> buf, std::chrono::milliseconds wait) override {
    return receive_some(buf, {}, wait);
  }
  Result<std::size_t> receive_some(std::span<std::uint8_t> buf, std::span<std::uint8_t> spill,
                                   std::chrono::milliseconds wait) override {
    std::unique_lock lock(s_->mu);
    auto& q = s_->q[side_];
    s_->cv.wait_for(lock, wait, [&] { return !q.empty() || s_->closed[1 - side_] || s_->closed[side_]; });
    if (q.empty()) {
      if (s_->closed[1 - side_] || s_->closed[side_]) {
        return Status(ErrorCode::network_error, remote_ + ": connection closed by peer");
      }
      return std::size_t{0};
    }
    std::size_t n = 0;
    for (auto part : {buf, spill}) {
      std::size_t k = std::min(part.size(), q.size());
      std::copy_n(q.begin(), k, part.begin());
      q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(k));
      n += k;
    }
    return n;
  }
  void interrupt() override { close(); }
  const std::string& remote() const override { return remote_; }

 private:
  struct Shared {
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<std::uint8_t> q[2];  // q[i]: bytes waiting for end i
    bool closed[2] = {false, false};
    std::size_t sent[2] = {0, 0};
  };
  MemoryStream(std::shared_ptr<Shared> s, int side, std::string remote)
      : s_(std::move(s)), side_(side), remote_(std::move(remote)) {}
  std::shared_ptr<Shared> s_;
  int side_;
  std::string remote_;
  const std::atomic<bool>* stop_ = nullptr;
  const std::atomic<bool>* also_ = nullptr;
};

}  // namespace fluxo
