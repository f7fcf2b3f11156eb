#include "core/status.h"

namespace fluxo {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::invalid_argument: return "invalid argument";
    case ErrorCode::parse_error: return "parse error";
    case ErrorCode::invalid_torrent: return "invalid torrent";
    case ErrorCode::limit_exceeded: return "limit exceeded";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::io_error: return "I/O error";
    case ErrorCode::not_found: return "not found";
    case ErrorCode::network_error: return "network error";
    case ErrorCode::protocol_error: return "protocol error";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::corrupt_data: return "corrupt data";
  }
  return "unknown error";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  if (offset_ == npos) return message_;
  return message_ + " (at byte " + std::to_string(offset_) + ")";
}

}  // namespace fluxo
