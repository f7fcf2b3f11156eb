// Exit codes of the fluxo command, stable for scripts (documented in README).
#pragma once

#include "core/status.h"

namespace fluxo::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // the operation ran but did not succeed (reserved for download/verify)
  kExitUsage = 2,        // bad command line
  kExitBadInput = 3,     // a .torrent, magnet or other input is malformed, refused or unsupported
  kExitIo = 4,           // a file could not be read or written
  kExitNetwork = 5,      // no usable peers or trackers: the download could not proceed
  kExitIncomplete = 6,  // the data on disk is incomplete or does not verify
  kExitInterrupted = 130,
};

inline int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::ok: return kExitOk;
    case ErrorCode::invalid_argument: return kExitUsage;
    case ErrorCode::parse_error:
    case ErrorCode::invalid_torrent:
    case ErrorCode::limit_exceeded:
    case ErrorCode::unsupported: return kExitBadInput;
    case ErrorCode::io_error:
    case ErrorCode::not_found: return kExitIo;
    case ErrorCode::network_error:
    case ErrorCode::protocol_error: return kExitNetwork;
    case ErrorCode::cancelled: return kExitInterrupted;
    case ErrorCode::corrupt_data: return kExitIncomplete;
  }
  return kExitFailure;
}

}  // namespace fluxo::cli
