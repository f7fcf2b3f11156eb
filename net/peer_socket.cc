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

Result<PeerSocket> PeerSocket::connect(const PeerAddress& to, std::chrono::milliseconds timeout) {
  std::string remote = to.to_string();
  try {
    Poco::Net::StreamSocket s;
    s.connect(Poco::Net::SocketAddress(to.host, to.port), to_timespan(timeout));
    s.setNoDelay(true);
    s.setBlocking(true);
    return PeerSocket(std::move(s), remote);
  } catch (const Poco::Exception& e) {
    return Status(ErrorCode::network_error, remote + ": " + e.displayText());
  }
}

Status PeerSocket::send_all(std::span<const std::uint8_t> data) {
  try {
    std::size_t sent = 0;
    socket_.setSendTimeout(Poco::Timespan(30, 0));
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
  try {
    if (!socket_.poll(to_timespan(wait), Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR)) {
      return std::size_t{0};
    }
    int n = socket_.receiveBytes(buf.data(), static_cast<int>(buf.size()));
    if (n <= 0) return Status(ErrorCode::network_error, remote_ + ": connection closed by peer");
    return static_cast<std::size_t>(n);
  } catch (const Poco::Exception& e) {
    return Status(ErrorCode::network_error, remote_ + ": " + e.displayText());
  }
}

}  // namespace fluxo
