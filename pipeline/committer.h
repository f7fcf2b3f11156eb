// What happens to a piece once the pipeline has judged it, on the serial
// writer stage: a verified and written piece is committed (have bit, HAVE
// log, counters, buffer back to the pool); a piece that failed its hash is
// blamed by evidence (pipeline/blame.h) and fetched again; a write failure
// stops the download.
//
// Blame: a failed piece written by one peer bans it at once; one written by
// several is marked single-source (fetched again from one peer) and each
// block's digest is kept with its sender; when that piece passes, the
// senders of blocks that differ from the good ones are banned.
//
// Thread-safety: the PieceSink callbacks run on the writer stage, one at a
// time; error() from any thread. `on_ban` is called from the writer stage.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/sha1.h"
#include "core/status.h"
#include "pipeline/blame.h"
#include "pipeline/piece_pipeline.h"
#include "pipeline/swarm_state.h"

namespace fluxo {

class Committer : public PieceSink {
 public:
  using BanReport = std::function<void(const std::string& ip, const std::string& why)>;
  // `on_complete` (may be empty) runs once the last missing piece is
  // committed, on the writer stage: it should only wake someone up.
  Committer(SwarmState& swarm, BanReport on_ban, std::function<void()> on_complete = {})
      : s_(swarm), on_ban_(std::move(on_ban)), on_complete_(std::move(on_complete)) {}

  void on_verified(const std::shared_ptr<ActivePiece>& p) override;
  void on_hash_failed(const std::shared_ptr<ActivePiece>& p) override;
  void on_write_failed(const std::shared_ptr<ActivePiece>& p, const Status& error) override;

  // The first write failure, or ok.
  Status error();

 private:
  std::vector<Sha1Digest> block_digests(const ActivePiece& p);
  void ban(const std::string& ip, const char* why);

  SwarmState& s_;
  BanReport on_ban_;
  std::function<void()> on_complete_;
  BlameBook blame_;  // writer stage only
  Sha1 sha1_;        // writer stage only
  std::mutex mu_;
  Status error_;  // guarded by mu_
};

}  // namespace fluxo
