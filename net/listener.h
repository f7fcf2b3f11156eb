// Accepts incoming peer connections on one TCP port (Poco::Net::ServerSocket).
//
// open() binds `address` (default: every IPv4 address) at `port`; when the
// port is taken and `try_next` is set it tries the next ones, as users expect
// from a client's default port. Taken means by anyone, this process or
// another: the port is never shared (no SO_REUSEPORT). accept() waits in short steps, so the task
// that runs it notices a stop request; interrupt() ends a wait at once.
#pragma once

#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "net/peer_socket.h"

namespace fluxo {

class Listener {
 public:
  static Result<Listener> open(const std::string& address, std::uint16_t port, bool try_next);

  std::uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }

  // A connection, nullopt when `wait` ran out, or an error from the socket.
  Result<std::optional<PeerSocket>> accept(std::chrono::milliseconds wait);
  // Shuts the listening socket down (from any thread): a waiting accept()
  // returns an error now, and so does every later one.
  void interrupt();

 private:
  Listener(Poco::Net::ServerSocket s, std::string address, std::uint16_t port)
      : socket_(std::move(s)), address_(std::move(address)), port_(port) {}
  Poco::Net::ServerSocket socket_;
  std::string address_;
  std::uint16_t port_;
};

}  // namespace fluxo
