// Rechecks the data on disk against a torrent's piece hashes, through the
// same parallel hashing flow graph as `fluxo create` (bounded memory, one
// hashing thread per core by default).
//
// Every piece gets a verdict: complete (its hash matches), missing (its
// bytes could not be read: a file absent or too short, or it reads as all
// zeros, as a never-written hole in a sparse file does) or corrupt (readable,
// not zeros, and the hash differs).
//
// options.cancel stops a recheck: no new piece (nor 8 MiB chunk of one) is
// read once it is set, and verify_pieces returns ErrorCode::cancelled after
// the pieces in flight drain.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bitfield.h"
#include "core/metainfo.h"
#include "core/status.h"
#include "pipeline/piece_hasher.h"
#include "storage/storage.h"

namespace fluxo {

struct VerifyReport {
  Bitfield complete;
  std::vector<std::uint32_t> missing;
  std::vector<std::uint32_t> corrupt;
  std::int64_t complete_bytes = 0;
};

// `only`: the pieces to check (null: all); the others are neither read nor
// reported.
Result<VerifyReport> verify_pieces(const Metainfo& meta, Storage& storage, const HashOptions& options,
                                   const Bitfield* only = nullptr);

}  // namespace fluxo
