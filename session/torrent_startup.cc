// Torrent before it runs: fetching a magnet link's metadata (the fetching
// state, session/metadata_fetch.h) and checking what is on disk (the
// checking state, on a thread of its own). The rest of its life is in
// session/torrent.cc.
#include "session/torrent.h"

#include <algorithm>

#include "core/metainfo.h"
#include "pipeline/verifier.h"
#include "session/metadata_fetch.h"
#include "storage/file_storage.h"
#include "storage/resume_file.h"

namespace fluxo {
namespace {

std::string pieces_text(std::uint32_t n, std::uint32_t of) {
  return std::to_string(n) + " of " + std::to_string(of) + " pieces";
}

}  // namespace

void Torrent::begin_checking() {
  // The metadata is final here. Resolved before the checking thread starts
  // (which reads it), on the supervisor thread (which shows the totals).
  if (o_.download && !o_.select_files.empty()) {
    auto selected = select_files(meta_, o_.select_files);
    if (!selected) {
      selection_error_ = Status(ErrorCode::parse_error, "selecting files: " + selected.status().message());
    } else if (selects_less_than_all(meta_, *selected)) {
      selected_ = std::move(*selected);
      wanted_ = wanted_pieces(meta_, selected_);
      wanted_bytes_ = bytes_of(meta_, wanted_);
    }
  }
  state_ = State::checking;
  last_check_event_ = Clock::now();
  checker_ = std::thread([this] { check(); });
}

void Torrent::fetch_tick(Clock::time_point now) {
  if (!fetch_->done()) {
    fetch_->tick(now);
    if (result_.status.is_ok() && now - fetch_->last_progress() > o_.stall_timeout) {
      result_.status = Status(ErrorCode::network_error,
                              "no peer sent any metadata for " + std::to_string(o_.stall_timeout.count()) +
                                  " s" + (fetch_->announcing() && !fetch_->tracker_working() ? " (no tracker answered)" : ""));
      fetch_->stop();
    }
    deliver_events();
    return;
  }
  deliver_events();
  if (result_.status.is_ok() && fetch_->complete()) {
    if (Status s = adopt_metadata(); !s) result_.status = s;
  } else if (result_.status.is_ok()) {
    result_.status = Status(ErrorCode::cancelled, "interrupted");
  }
  fetch_.reset();
  if (!result_.status.is_ok() || o_.metadata_only) {
    result_.summary = summary(DownloadEvent::Kind::finished);
    finished();
    return;
  }
  begin_checking();
}

// The metadata checked against the info-hash: parsed and validated exactly
// as a .torrent file is (same limits, same sanitizing), with the magnet's
// trackers, saved as DIR/.fluxo/<info-hash>.torrent so a resumed download
// does not fetch it again.
Status Torrent::adopt_metadata() {
  const std::string file = torrent_file_from_info(fetch_->info(), meta_.trackers);
  auto m = parse_metainfo(file);
  if (!m) return Status(m.status().code(), "the metadata peers sent: " + m.status().message());
  if (m->info_hash != meta_.info_hash) return Status(ErrorCode::corrupt_data, "the metadata does not match the info-hash");
  if (parts_.claim_path && !o_.metadata_only) {
    if (Status s = parts_.claim_path(this, o_.directory / m->name); !s) return s;
  }
  for (const PeerAddress& a : fetch_->peers()) {
    if (std::find(o_.peers.begin(), o_.peers.end(), a) == o_.peers.end()) o_.peers.push_back(a);
  }
  if (o_.download && !o_.metadata_only) {
    if (Status s = save_state_file(o_.directory, meta_.info_hash.hex() + ".torrent", file); !s) {
      push({DownloadEvent::Kind::resume, "warning: the metadata could not be saved (" + s.message() +
                                             "); a resumed download fetches it again"});
    }
  }
  meta_ = std::move(*m);
  metadata_file_ = file;
  needs_metadata_ = false;
  result_.summary.total_bytes = meta_.total_size;
  emit({DownloadEvent::Kind::metadata, meta_.name});
  return Status::ok();
}

// What is on disk already: resume data if it can be trusted, else a recheck
// of whatever data there is. Nothing unverified counts. Serving only: the
// data is rechecked, and only what verifies is offered.
void Torrent::check() {
  check_body();
  checked_.store(true, std::memory_order_release);
  if (parts_.wake) parts_.wake();
}

// Runs `verify_pieces` once this torrent has the session's recheck turn
// (or it is cancelled while waiting).
Result<VerifyReport> Torrent::recheck(const HashOptions& hash) {
  if (!parts_.rechecks.acquire(cancel_check_)) return Status(ErrorCode::cancelled, "interrupted");
  struct Release {
    RecheckTurn& turn;
    ~Release() { turn.release(); }
  } release{parts_.rechecks};
  return verify_pieces(meta_, *storage_, hash, selected_.empty() ? nullptr : &wanted_);
}

void Torrent::check_body() {
  if (!selection_error_.is_ok()) {
    check_status_ = selection_error_;
    return;
  }
  auto storage = FileStorage::open(meta_, o_.directory,
                                   StorageOptions{.selected = selected_,
                                                  .direct_io = o_.direct_io && o_.download,
                                                  .preallocate = o_.preallocate && o_.download,
                                                  .read_only = !o_.download});
  if (!storage) {
    check_status_ = storage.status();
    return;
  }
  storage_ = std::move(*storage);
  initial_ = o_.verified;
  HashOptions hash{.threads = parts_.hash_threads,
                   .max_bytes_in_flight = parts_.check_memory,
                   .progress = [this](std::int64_t done) { check_progress_.store(done, std::memory_order_relaxed); },
                   .cancel = &cancel_check_};
  if (!o_.download && !initial_) {
    auto report = recheck(hash);
    if (!report) {
      check_status_ = report.status();
    } else if (report->complete.none()) {
      check_status_ = Status(ErrorCode::corrupt_data, "no piece of " + meta_.name + " in " + o_.directory.string() +
                                                          " verifies: nothing to seed");
    } else {
      if (!report->complete.all()) {
        push({DownloadEvent::Kind::resume, "warning: " + std::to_string(report->missing.size()) + " piece(s) missing and " +
                                               std::to_string(report->corrupt.size()) + " corrupt; serving the " +
                                               std::to_string(report->complete.count()) + " that verify"});
      }
      initial_ = std::move(report->complete);
    }
  } else if (o_.download && !initial_) {
    auto resumed = load_resume(o_.directory, meta_, selected_);
    if (resumed) {
      initial_ = std::move(resumed->pieces);
      push({DownloadEvent::Kind::resume,
            "resumed: " + pieces_text(initial_->count(), selected_.empty() ? meta_.piece_count() : wanted_.count()) +
                " verified earlier"});
    } else {
      bool any_data = false;
      for (const auto& s : stamp_files(o_.directory, meta_)) any_data = any_data || s.size > 0;
      std::string why = resumed.status().code() == ErrorCode::not_found
                            ? std::string("data found without resume data")
                            : "resume data ignored (" + resumed.status().message() + ")";
      if (any_data || resumed.status().code() != ErrorCode::not_found) {
        push({DownloadEvent::Kind::resume, why + "; rechecking"});
        auto report = recheck(hash);
        if (!report) {
          check_status_ = report.status();
        } else {
          // What the recheck found may not be on disk yet (written by a run
          // that was killed): the first resume save syncs it before listing it.
          if (!report->complete.none()) storage_->mark_all_dirty();
          initial_ = std::move(report->complete);
          push({DownloadEvent::Kind::resume,
                "recheck: " + pieces_text(initial_->count(), selected_.empty() ? meta_.piece_count() : wanted_.count()) +
                    " verified"});
        }
      }
    }
  }
}

}  // namespace fluxo
