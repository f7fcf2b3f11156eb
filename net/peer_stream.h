// One peer connection's byte stream, as the peer wire code uses it: blocking
// reads with a short wait (so the caller notices a stop), sends that give up
// on a stop flag, and the scatter read of the PIECE fast path. PeerSocket
// (net/peer_socket.h) is the TCP one; encryption (MSE/PE) wraps another
// stream; MemoryStream (net/memory_stream.h) is an in-memory pair for tests
// of the peer wire code without sockets.
//
// Thread-safety: one owning task uses a stream; another thread may only
// interrupt() it.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"

namespace fluxo {

class PeerStream {
 public:
  virtual ~PeerStream() = default;

  // How long a send may go without moving a byte before it fails.
  static constexpr std::chrono::milliseconds kDefaultSendStall{30000};

  // Sends from now on return ErrorCode::cancelled when `*stop` (or
  // `*also`: this connection alone was dropped) is true and the data did not
  // all go out at once, and network_error after `stall` without progress.
  // The flags may be null and must outlive the stream's use.
  virtual void watch(const std::atomic<bool>* stop, const std::atomic<bool>* also = nullptr,
                     std::chrono::milliseconds stall = kDefaultSendStall) = 0;
  // Every byte of `data`, or an error (see watch()).
  virtual Status send_all(std::span<const std::uint8_t> data) = 0;
  // Every byte of `parts` (gathered; `parts` is advanced on the way).
  virtual Status send_all(std::span<iovec> parts) = 0;
  // Bytes that can be read without blocking.
  virtual std::size_t available() = 0;
  // Waits up to `wait` for data. Returns the number of bytes read, 0 when the
  // wait ran out; an error when the peer closed or the stream failed.
  virtual Result<std::size_t> receive_some(std::span<std::uint8_t> buf, std::chrono::milliseconds wait) = 0;
  // The same, filling `buf` first and then `spill`: a block goes straight to
  // its piece buffer and the next message's header, if it has arrived, into
  // the input buffer.
  virtual Result<std::size_t> receive_some(std::span<std::uint8_t> buf, std::span<std::uint8_t> spill,
                                           std::chrono::milliseconds wait) = 0;
  // From another thread: wakes a receive or send blocked in the owner's
  // thread; every later call fails. The only member that is thread-safe.
  virtual void interrupt() = 0;
  // "ip:port" of the other end, for messages.
  virtual const std::string& remote() const = 0;
};

}  // namespace fluxo
