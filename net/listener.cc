#include "net/listener.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketImpl.h>
#include <sys/socket.h>

namespace fluxo {

Result<Listener> Listener::open(const std::string& address, std::uint16_t port, bool try_next) {
  const std::string host = address.empty() ? "0.0.0.0" : address;
  const int attempts = try_next && port != 0 ? 50 : 1;
  std::string last_error;
  for (int i = 0; i < attempts && port + i <= 65535; ++i) {
    auto p = static_cast<std::uint16_t>(port + i);
    try {
      Poco::Net::ServerSocket s;
      // SO_REUSEADDR (a port in TIME_WAIT after a restart is free to take)
      // but not SO_REUSEPORT, which POCO's two-argument bind also sets: with
      // it a second process would share the port instead of moving on.
      s.bind(Poco::Net::SocketAddress(host, p), /*reuseAddress=*/true, /*reusePort=*/false);
      s.listen(128);
      std::uint16_t bound = s.address().port();  // the real one when port was 0
      return Listener(std::move(s), host, bound);
    } catch (const Poco::Net::NetException& e) {
      last_error = e.displayText();
    } catch (const Poco::Exception& e) {
      return Status(ErrorCode::network_error, "cannot listen on " + host + ": " + e.displayText());
    }
  }
  return Status(ErrorCode::network_error, "cannot listen on " + host + ":" + std::to_string(port) +
                                              (attempts > 1 ? " or the next " + std::to_string(attempts - 1) + " ports" : "") +
                                              ": " + last_error);
}

Result<std::optional<PeerSocket>> Listener::accept(std::chrono::milliseconds wait) {
  try {
    if (!socket_.poll(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(wait.count()) * 1000),
                      Poco::Net::Socket::SELECT_READ)) {
      return std::optional<PeerSocket>();
    }
    return std::optional<PeerSocket>(PeerSocket::adopt(socket_.acceptConnection()));
  } catch (const Poco::Exception& e) {
    return Status(ErrorCode::network_error, "accepting a connection: " + e.displayText());
  }
}

void Listener::interrupt() {
  // shutdown(2) of a listening socket wakes poll(2) and fails accept(2) on
  // Linux; the descriptor stays open until the Listener goes.
  (void)::shutdown(socket_.impl()->sockfd(), SHUT_RDWR);
}

}  // namespace fluxo
