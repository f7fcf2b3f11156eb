// A blocking TCP connection to one peer (Poco::Net::StreamSocket) with
// deadlines on every operation. Owned and used by one peer task, which reads
// with short timeouts so it notices a stop request without help from outside.
// Sends wait in 200 ms steps (SO_SNDTIMEO) and, between steps, look at the
// stop flag given to watch(): a peer that stops reading delays a shutdown by
// at most one step, and one that makes no progress at all for the stall
// bound (30 s) is an error.
#pragma once

#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/SocketDefs.h>

#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "core/status.h"
#include "core/tracker_response.h"
#include "net/peer_stream.h"

namespace fluxo {

class PeerSocket : public PeerStream {
 public:
  using Clock = std::chrono::steady_clock;

  // `bind_ip`: the local address to connect from (empty: the system's
  // choice), so that peers on loopback see the address we listen on.
  static Result<PeerSocket> connect(const PeerAddress& to, std::chrono::milliseconds timeout,
                                    const std::string& bind_ip = {});
  // Takes over a connection accepted by a Listener.
  static PeerSocket adopt(Poco::Net::StreamSocket s);

  // POCO sockets are shared handles (a copy is another reference to the
  // same connection, closed when the last goes), and POCO 1.11 has no move:
  // moving leaves the source holding an unconnected socket, so the thread
  // that hands a connection over keeps no reference to it.
  PeerSocket(PeerSocket&& o) noexcept
      : socket_(std::exchange(o.socket_, Poco::Net::StreamSocket())), remote_(std::move(o.remote_)),
        wait_(o.wait_), stop_(o.stop_), also_(o.also_), stall_(o.stall_) {}
  PeerSocket& operator=(PeerSocket&& o) noexcept {
    socket_ = std::exchange(o.socket_, Poco::Net::StreamSocket());
    remote_ = std::move(o.remote_);
    wait_ = o.wait_;
    stop_ = o.stop_;
    also_ = o.also_;
    stall_ = o.stall_;
    return *this;
  }
  PeerSocket(const PeerSocket&) = delete;
  PeerSocket& operator=(const PeerSocket&) = delete;
  ~PeerSocket() override = default;

  // How long one send call blocks before the stop flag is looked at again.
  static constexpr std::chrono::milliseconds kSendStep{200};

  // Sends from now on return ErrorCode::cancelled when `*stop` (or
  // `*also`: this connection alone was dropped) is true and the data did not
  // all go out at once, and network_error after `stall` without progress.
  // The flags may be null and must outlive the socket's use. Called by the
  // owning task, before sending.
  void watch(const std::atomic<bool>* stop, const std::atomic<bool>* also = nullptr,
             std::chrono::milliseconds stall = kDefaultSendStall) override {
    stop_ = stop;
    also_ = also;
    stall_ = stall;
  }

  // Every byte of `data`, or an error (see watch()).
  Status send_all(std::span<const std::uint8_t> data) override;
  // Sends every byte of `parts` with gathered writes, resuming after partial
  // ones; one system call when the socket takes it all at once. `parts` is
  // modified (advanced) on the way.
  Status send_all(std::span<iovec> parts) override;
  // Bytes that can be read without blocking.
  std::size_t available() override;
  // Waits up to `wait` for data. Returns the number of bytes read, 0 when the
  // wait ran out; an error when the peer closed or the socket failed.
  Result<std::size_t> receive_some(std::span<std::uint8_t> buf, std::chrono::milliseconds wait) override;
  // The same, scattering into `buf` and then `spill` with one call: a block
  // goes straight to its piece buffer and the next message's header, if it
  // has arrived, into the input buffer.
  Result<std::size_t> receive_some(std::span<std::uint8_t> buf, std::span<std::uint8_t> spill,
                                   std::chrono::milliseconds wait) override;
  // shutdown(2) of both directions: the owner's blocked call returns.
  void interrupt() override;
  const std::string& remote() const override { return remote_; }

 private:
  PeerSocket(Poco::Net::StreamSocket s, std::string remote) : socket_(std::move(s)), remote_(std::move(remote)) {}
  Poco::Net::StreamSocket socket_;
  std::string remote_;
  Poco::Net::SocketBufVec scatter_{2};
  std::chrono::milliseconds wait_{0};  // the receive timeout set on the socket
  const std::atomic<bool>* stop_ = nullptr;
  const std::atomic<bool>* also_ = nullptr;
  std::chrono::milliseconds stall_ = kDefaultSendStall;
  void set_wait(std::chrono::milliseconds wait);
  // After a send that did not take everything (`progress`: it took some):
  // ok to go on, or why not.
  Status may_continue(bool progress, Clock::time_point& last_progress) const;
};

}  // namespace fluxo
