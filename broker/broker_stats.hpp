// BrokerStats: the broker's counters, reported by STATS and in logs. Counters
// only grow; gauges are computed when a report is made.
#pragma once

#include <cstdint>

#include "common/messages.hpp"

namespace zfleet::broker {

struct BrokerStats {
  std::uint64_t tasks_submitted = 0;
  std::uint64_t tasks_dispatched = 0;
  std::uint64_t tasks_succeeded = 0;
  std::uint64_t tasks_failed = 0;
  std::uint64_t tasks_requeued = 0;
  std::uint64_t tasks_rejected_by_workers = 0;
  std::uint64_t results_stale = 0;  // results for attempts no longer current
  std::uint64_t results_evicted = 0;
  std::uint64_t submits_refused = 0;  // QUEUE_FULL or SHUTTING_DOWN
  std::uint64_t workers_registered = 0;
  std::uint64_t workers_expired = 0;
  std::uint64_t workers_disconnected = 0;
  std::uint64_t bad_frames = 0;
  std::uint64_t bad_versions = 0;
  std::uint64_t bad_bodies = 0;  // malformed msgpack or invalid fields
  std::uint64_t unknown_commands = 0;
  std::uint64_t unknown_worker_messages = 0;
  std::uint64_t undeliverable = 0;

  void add_to(msg::Counters& out) const {
    out.emplace_back("tasks_submitted", tasks_submitted);
    out.emplace_back("tasks_dispatched", tasks_dispatched);
    out.emplace_back("tasks_succeeded", tasks_succeeded);
    out.emplace_back("tasks_failed", tasks_failed);
    out.emplace_back("tasks_requeued", tasks_requeued);
    out.emplace_back("tasks_rejected_by_workers", tasks_rejected_by_workers);
    out.emplace_back("results_stale", results_stale);
    out.emplace_back("results_evicted", results_evicted);
    out.emplace_back("submits_refused", submits_refused);
    out.emplace_back("workers_registered", workers_registered);
    out.emplace_back("workers_expired", workers_expired);
    out.emplace_back("workers_disconnected", workers_disconnected);
    out.emplace_back("bad_frames", bad_frames);
    out.emplace_back("bad_versions", bad_versions);
    out.emplace_back("bad_bodies", bad_bodies);
    out.emplace_back("unknown_commands", unknown_commands);
    out.emplace_back("unknown_worker_messages", unknown_worker_messages);
    out.emplace_back("undeliverable", undeliverable);
  }
};

}  // namespace zfleet::broker
