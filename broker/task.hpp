// A task as the broker knows it: the producer's spec plus everything the
// broker decides about it (state, current attempt, lease holder, outcome).
// The broker is the only owner of these facts; a worker holds only a lease.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/retry_policy.hpp"
#include "common/messages.hpp"

namespace zfleet::broker {

struct Task {
  std::uint64_t id = 0;
  msg::TaskSpec spec;
  msg::TaskState state = msg::TaskState::kQueued;
  std::uint32_t attempts = 0;        // dispatches so far; the current attempt's number
  std::uint32_t retry_base = 0;      // attempts when the current retry budget began
  std::string worker_identity;       // ROUTER identity holding the lease, when running
  std::string worker_name;           // worker_id of the current or last attempt
  std::int64_t submitted_at_ms = 0;  // Unix ms
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;  // as shown: mostly the worker's clock (PROTOCOL.md §4.4)
  // The broker's own wall clock when it recorded the ending; retention ages
  // run from it, so a worker's skewed clock cannot expire a task early or
  // keep it forever. 0 while not final.
  std::int64_t ended_at_ms = 0;
  std::int64_t not_before_ms = 0;  // Unix ms; scheduled until then
  std::optional<msg::Outcome> outcome;
  // The running attempt as its worker last reported it; not journaled (a
  // restarted broker learns it again from the next heartbeat).
  std::optional<msg::LiveStatus> live;
  // Queued but held back: no connected worker can run it (why, in words).
  // Not journaled: recomputed at dispatch.
  std::string unplaced;
  mutable std::string spec_bytes;  // the spec as the journal stores it, encoded once

  msg::TaskView view(bool with_outcome) const {
    msg::TaskView v;
    v.id = id;
    v.type = spec.type;
    v.project = spec.project;
    v.priority = spec.priority;
    v.state = state;
    v.attempts = attempts;
    v.worker = worker_name;
    v.submitted_at_ms = submitted_at_ms;
    v.started_at_ms = started_at_ms;
    v.finished_at_ms = finished_at_ms;
    v.not_before_ms = state == msg::TaskState::kScheduled ? not_before_ms : 0;
    if (with_outcome) v.outcome = outcome;
    if (state == msg::TaskState::kRunning) v.live = live;
    if (state == msg::TaskState::kScheduled && outcome && attempts > 0) {
      v.waiting = "attempt " + std::to_string(attempts) + " failed: " + describe_outcome(*outcome);
    } else if (state == msg::TaskState::kQueued) {
      v.waiting = unplaced;
    }
    return v;
  }
};

}  // namespace zfleet::broker
