#include "net/peer_socket.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>

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
    s.setSendTimeout(Poco::Timespan(30, 0));
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
    s.setSendTimeout(Poco::Timespan(30, 0));
  } catch (const Poco::Exception&) {
    remote = "(unknown peer)";  // the next read or write reports the real error
  }
  return PeerSocket(std::move(s), std::move(remote));
}

Status PeerSocket::send_all(std::span<iovec> parts) {
  try {
    std::size_t i = 0;
    while (i < parts.size()) {
      Poco::Net::SocketBufVec v(parts.begin() + static_cast<std::ptrdiff_t>(i),
                                parts.begin() + static_cast<std::ptrdiff_t>(std::min(parts.size(), i + IOV_MAX)));
      int n = socket_.sendBytes(v);
      if (n <= 0) return Status(ErrorCode::network_error, remote_ + ": connection closed while sending");
      auto left = static_cast<std::size_t>(n);
      while (i < parts.size() && left >= parts[i].iov_len) {
        left -= parts[i].iov_len;
        ++i;
      }
      if (left > 0) {
        parts[i].iov_base = static_cast<std::uint8_t*>(parts[i].iov_base) + left;
        parts[i].iov_len -= left;
      }
    }
    return Status::ok();
  } catch (const Poco::Exception& e) {
    return Status(ErrorCode::network_error, remote_ + ": " + e.displayText());
  }
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
  try {
    std::size_t sent = 0;
    while (sent < data.size()) {
      int n = socket_.sendBytes(data.data() + sent, static_cast<int>(data.size() - sent));
      if (n <= 0) return Status(ErrorCode::network_error, remote_ + ": connection closed while sending");
      sent += static_cast<std::size_t>(n);
    }
    return Status::ok();
  } catch (const Poco::Exception& e) {
    return Status(ErrorCode::network_error, remote_ + ": " + e.displayText());
  }
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

}  // namespace fluxo
