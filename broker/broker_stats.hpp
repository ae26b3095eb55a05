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
  std::uint64_t tasks_requeued = 0;  // back to the queue: worker lost, rejected, broker restart
  std::uint64_t tasks_retried = 0;   // a failed attempt scheduled again by its retry policy
  std::uint64_t tasks_dead = 0;
  std::uint64_t tasks_cancelled = 0;
  std::uint64_t tasks_adopted = 0;      // running attempts a reconnecting worker kept
  std::uint64_t tasks_recovered = 0;    // unfinished tasks read back from the journal
  std::uint64_t duplicate_submits = 0;  // idempotency key seen: original id returned
  std::uint64_t cancels_sent = 0;
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
  std::uint64_t events_relayed = 0;        // worker EVENTs republished
  std::uint64_t events_rejected = 0;       // EVENT/OUTPUT for an attempt the worker does not hold
  std::uint64_t output_chunks = 0;         // OUTPUT chunks taken
  std::uint64_t output_bytes = 0;          // new bytes in them (repeats not counted)
  std::uint64_t output_skipped_bytes = 0;  // bytes a worker skipped (gaps in offsets)
  std::uint64_t suspends_sent = 0;
  std::uint64_t resumes_sent = 0;
  std::uint64_t tasks_unplaced = 0;             // set aside: no connected worker could run them
  std::uint64_t workers_refused_duplicate = 0;  // READY under a worker id another live worker has
  std::uint64_t workers_replaced = 0;           // a restarted worker took over its old registration
  std::uint64_t journal_write_failures = 0;     // commits the disk refused (each retry counts)
  std::uint64_t submits_refused_storage = 0;    // changes refused with STORAGE_FULL
  std::uint64_t events_dropped_storage = 0;     // events past the hold's cap while degraded

  void add_to(msg::Counters& out) const {
    out.emplace_back("tasks_submitted", tasks_submitted);
    out.emplace_back("tasks_dispatched", tasks_dispatched);
    out.emplace_back("tasks_succeeded", tasks_succeeded);
    out.emplace_back("tasks_failed", tasks_failed);
    out.emplace_back("tasks_requeued", tasks_requeued);
    out.emplace_back("tasks_retried", tasks_retried);
    out.emplace_back("tasks_dead", tasks_dead);
    out.emplace_back("tasks_cancelled", tasks_cancelled);
    out.emplace_back("tasks_adopted", tasks_adopted);
    out.emplace_back("tasks_recovered", tasks_recovered);
    out.emplace_back("duplicate_submits", duplicate_submits);
    out.emplace_back("cancels_sent", cancels_sent);
    out.emplace_back("tasks_rejected_by_workers", tasks_rejected_by_workers);
    out.emplace_back("results_stale", results_stale);
    out.emplace_back("results_evicted", results_evicted);
    out.emplace_back("tasks_unplaced", tasks_unplaced);
    out.emplace_back("workers_refused_duplicate", workers_refused_duplicate);
    out.emplace_back("workers_replaced", workers_replaced);
    out.emplace_back("journal_write_failures", journal_write_failures);
    out.emplace_back("submits_refused_storage", submits_refused_storage);
    out.emplace_back("events_dropped_storage", events_dropped_storage);
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
    out.emplace_back("events_relayed", events_relayed);
    out.emplace_back("events_rejected", events_rejected);
    out.emplace_back("output_chunks", output_chunks);
    out.emplace_back("output_bytes", output_bytes);
    out.emplace_back("output_skipped_bytes", output_skipped_bytes);
    out.emplace_back("suspends_sent", suspends_sent);
    out.emplace_back("resumes_sent", resumes_sent);
  }
};

}  // namespace zfleet::broker
