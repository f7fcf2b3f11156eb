#include "net/peer_socket.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace fluxo {
namespace {

Poco::Timespan to_timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

}  // namespace

Result<PeerSocket> PeerSocket::connect(const PeerAddress& to, std::chrono::milliseconds timeout,
                                      const std::string& bind_ip) {
  std::string remote = to.to_string();
  try {
    Poco::Net::StreamSocket s;
    if (!bind_ip.empty()) s.impl()->bind(Poco::Net::SocketAddress(bind_ip, 0));
    s.connect(Poco::Net::SocketAddress(to.host, to.port), to_timespan(timeout));
    s.setNoDelay(true);
    s.setBlocking(true);
    s.setSendTimeout(to_timespan(kSendStep));
    return PeerSocket(std::move(s), remote);
  } catch (const Poco::Exception& e) {
    return Status(ErrorCode::network_error, remote + ": " + e.displayText());
  }
}

// A receive timeout (SO_RCVTIMEO) rather than Socket::poll: POCO's poll
// builds an epoll instance per call, four system calls and a file for every
// read; a timed recv is one.
void PeerSocket::set_wait(std::chrono::milliseconds wait) {
  if (wait == wait_) return;
  socket_.setReceiveTimeout(to_timespan(wait));
  wait_ = wait;
}

PeerSocket PeerSocket::adopt(Poco::Net::StreamSocket s) {
  std::string remote;
  try {
    remote = s.peerAddress().toString();
    s.setNoDelay(true);
    s.setBlocking(true);
    s.setSendTimeout(to_timespan(kSendStep));
  } catch (const Poco::Exception&) {
    remote = "(unknown peer)";  // the next read or write reports the real error
  }
  return PeerSocket(std::move(s), std::move(remote));
}

Status PeerSocket::may_continue(bool progress, Clock::time_point& last_progress) const {
  if ((stop_ != nullptr && stop_->load()) || (also_ != nullptr && also_->load())) {
    return Status(ErrorCode::cancelled, remote_ + ": stopped while sending");
  }
  auto now = Clock::now();
  if (progress) {
    last_progress = now;
  } else if (now - last_progress >= stall_) {
    return Status(ErrorCode::network_error,
                  remote_ + ": no progress sending for " + std::to_string(stall_.count()) + " ms");
  }
  return Status::ok();
}

// One sendmsg per step, straight on the descriptor: POCO's gathered send
// reports a send timeout as a generic I/O error, and MSG_NOSIGNAL keeps a
// peer that closed from raising SIGPIPE. Each call blocks at most kSendStep
// (SO_SNDTIMEO) and then returns what it moved, or EAGAIN if nothing.
Status PeerSocket::send_all(std::span<iovec> parts) {
  const int fd = socket_.impl()->sockfd();
  std::size_t i = 0;
  auto last_progress = Clock::now();  // vDSO, not a system call
  while (i < parts.size()) {
    msghdr msg{};
    msg.msg_iov = parts.data() + i;
    msg.msg_iovlen = std::min<std::size_t>(parts.size() - i, IOV_MAX);
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err != EAGAIN && err != EWOULDBLOCK) {
        return Status(ErrorCode::network_error, remote_ + ": " + std::strerror(err));
      }
      n = 0;
    }
    auto left = static_cast<std::size_t>(n);
    while (i < parts.size() && left >= parts[i].iov_len) {
      left -= parts[i].iov_len;
      ++i;
    }
    if (left > 0) {
      parts[i].iov_base = static_cast<std::uint8_t*>(parts[i].iov_base) + left;
      parts[i].iov_len -= left;
    }
    if (i == parts.size()) break;
    if (Status st = may_continue(n > 0, last_progress); !st) return st;
  }
  return Status::ok();
}

std::size_t PeerSocket::available() {
  try {
    int n = socket_.available();
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  } catch (const Poco::Exception&) {
    return 1;  // let the read report it
  }
}

Status PeerSocket::send_all(std::span<const std::uint8_t> data) {
  iovec one{const_cast<std::uint8_t*>(data.data()), data.size()};
  return send_all(std::span<iovec>(&one, data.empty() ? 0 : 1));
}

Result<std::size_t> PeerSocket::receive_some(std::span<std::uint8_t> buf, std::chrono::milliseconds wait) {
  return receive_some(buf, {}, wait);
}

Result<std::size_t> PeerSocket::receive_some(std::span<std::uint8_t> buf, std::span<std::uint8_t> spill,
                                             std::chrono::milliseconds wait) {
  try {
    set_wait(wait);
    scatter_[0] = Poco::Net::SocketBuf{buf.data(), buf.size()};
    scatter_[1] = Poco::Net::SocketBuf{spill.data(), spill.size()};
    int n = socket_.receiveBytes(scatter_);
    if (n <= 0) return Status(ErrorCode::network_error, remote_ + ": connection closed by peer");
    return static_cast<std::size_t>(n);
  } catch (const Poco::TimeoutException&) {
    return std::size_t{0};
  } catch (const Poco::Exception& e) {
    return Status(ErrorCode::network_error, remote_ + ": " + e.displayText());
  }
}

void PeerSocket::interrupt() {
  // The descriptor stays open (the owner closes it): only its traffic ends.
  const int fd = socket_.impl()->sockfd();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

}  // namespace fluxo
