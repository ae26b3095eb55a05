// The reactor's use of the state file: at start, ending the children a
// previous life left running; while running, recording the children of this
// one; at a clean exit, removing the file. Part of Reactor (see reactor.hpp).
#include <cstring>

#include <spdlog/spdlog.h>

#include "worker/core/leftover_children.hpp"
#include "worker/core/reactor.hpp"

namespace zfleet::worker {

namespace {

// How long start-up waits for a previous life's children to die of SIGKILL.
constexpr Millis kLeftoverWait{5000};

}  // namespace

void Reactor::end_previous_life() {
  std::vector<ChildRecord> records;
  std::string error;
  if (!state_file_.read(records, error)) {
    // Never guess at pids from a file we cannot read: leave them alone.
    spdlog::error("state file {}: {}; children of a previous life (if any) are left alone",
                  state_file_.path(), error);
  }
  if (!records.empty()) {
    spdlog::info("state file {} lists {} children of a previous life", state_file_.path(),
                 records.size());
    const LeftoverReport report = end_leftover_children(records, kLeftoverWait);
    counters_.leftovers_killed = report.killed;
    spdlog::info(
        "previous life: {} killed, {} already ended, {} pids reused by other processes, "
        "{} without start time, {} survived",
        report.killed, report.gone, report.reused, report.unknown, report.survived);
  }
  // This life starts with no child; the broker requeues the old attempts
  // when this worker registers without them.
  state_file_stale_ = true;
  sync_state_file();
}

void Reactor::sync_state_file() {
  bool changed = state_file_stale_;
  // Every executor's flag is taken, so none carries a change to a later turn.
  for (Executor* e : executors().executors())
    changed = e->take_children_changed() || changed;
  if (!changed) return;
  children_.clear();
  for (const Executor* e : executors().executors())
    e->children(children_);
  const int e = state_file_.write(children_);
  if (e != 0 && !state_file_failing_) {
    spdlog::warn("cannot write state file {}: {}; retrying every loop turn", state_file_.path(),
                 std::strerror(e));
  } else if (e == 0 && state_file_failing_) {
    spdlog::info("state file {} written again", state_file_.path());
  }
  state_file_failing_ = e != 0;
  state_file_stale_ = e != 0;
}

void Reactor::close_state_file() {
  if (busy() == 0) {
    state_file_.remove();
  } else {
    // Not reached on the normal paths (shutdown waits for every child); the
    // executors kill what is left when the reactor goes, so record it anyway.
    children_.clear();
    for (Executor* e : executors().executors()) {
      e->take_children_changed();
      e->children(children_);
    }
    state_file_.write(children_);
  }
}

}  // namespace zfleet::worker
