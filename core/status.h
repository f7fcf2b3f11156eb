// Recoverable errors as values. Every function that can fail on untrusted
// input or on the outside world returns Status or Result<T>; exceptions are
// reserved for programming errors and never cross a flow-graph node or a peer
// task.
#pragma once

#include <cassert>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace fluxo {

enum class ErrorCode {
  ok = 0,
  invalid_argument,  // the caller asked for something meaningless
  parse_error,       // malformed bytes (bencode, URI, ...)
  invalid_torrent,   // well-formed but semantically wrong metainfo
  limit_exceeded,    // a configured bound on size, depth or count was hit
  unsupported,       // recognised but not handled (e.g. BitTorrent v2)
  io_error,          // the file system said no
  not_found,
  network_error,     // a socket, DNS, TLS or HTTP failure
  protocol_error,    // a peer or tracker broke the protocol
  cancelled,         // stopped on request (signal)
  corrupt_data,      // data on disk does not match its piece hash
};

const char* to_string(ErrorCode code);

// An error code, a human-readable reason and, for parsers, the byte offset
// in the input where the problem was found (npos when not applicable).
class [[nodiscard]] Status {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  Status() = default;
  Status(ErrorCode code, std::string message, std::size_t offset = npos)
      : code_(code), message_(std::move(message)), offset_(offset) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == ErrorCode::ok; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::size_t offset() const { return offset_; }

  // "message (at byte N)" when an offset is known.
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::ok;
  std::string message_;
  std::size_t offset_ = npos;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                            // NOLINT
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }  // NOLINT

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Status& status() const {
    static const Status ok_status;
    return is_ok() ? ok_status : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace fluxo
