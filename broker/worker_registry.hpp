// WorkerRegistry: the workers the broker knows, by ROUTER identity, with
// their credit (tasks they may be sent now), leases (attempts they hold) and
// liveness. A worker silent for kHeartbeatLiveness intervals is expired by
// the caller through expired(now). next_with_credit() rotates between the
// workers that have credit, so load spreads across hosts.
//
// Invariant: credit + leases.size() <= capacity for every worker. An adaptive
// worker's current slot count moves under its capacity; how much of it to
// offer as credit stays the worker's decision.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/messages.hpp"

namespace zfleet::broker {

struct WorkerRecord {
  std::string identity;
  std::string name;  // worker_id from READY
  std::string hostname;
  std::uint64_t pid = 0;
  std::uint32_t slots = 0;     // its slot count now (READY, then HEARTBEAT / slots_* events)
  std::uint32_t capacity = 0;  // most slots it can have: max_slots when adaptive, else slots
  std::uint32_t min_slots = 0;
  std::uint32_t max_slots = 0;
  std::uint32_t credit = 0;
  std::vector<std::string> labels;
  std::vector<std::string> layers;
  std::vector<std::string> task_types;
  std::vector<std::string> modules;
  std::optional<msg::TaskLimits> limits;  // its per-task ceilings, as READY said
  std::set<std::uint64_t> leases;         // task ids
  std::uint64_t tasks_done = 0;
  TimePoint connected_at{};
  TimePoint last_seen{};
  bool draining = false;
  bool in_rotation = false;
};

class WorkerRegistry {
 public:
  explicit WorkerRegistry(Millis heartbeat) : heartbeat_(heartbeat) {}

  // Registers (or re-registers) a worker; returns the record.
  WorkerRecord& upsert(const std::string& identity, const msg::Ready& ready, TimePoint now);
  WorkerRecord* find(const std::string& identity);
  // Removes the worker; returns its record so the caller can requeue leases.
  std::optional<WorkerRecord> remove(const std::string& identity);

  void touch(WorkerRecord& w, TimePoint now) { w.last_seen = now; }
  // Adds credit returned by the worker, never beyond its free slots.
  void add_credit(WorkerRecord& w, std::uint32_t credit);
  // Sets the credit outright (a READY's count of free slots), within bounds.
  void set_credit(WorkerRecord& w, std::uint32_t credit);
  void set_draining(WorkerRecord& w);

  // The next worker that may take a task, rotating between them.
  WorkerRecord* next_with_credit();
  // The first worker in the rotation with credit that `fits` accepts; it
  // scans the rotation, so it is for tasks the next worker cannot run.
  WorkerRecord* next_with_credit_where(const std::function<bool(const WorkerRecord&)>& fits);
  // Heard from within the liveness window.
  bool alive(const WorkerRecord& w, TimePoint now) const {
    return now - w.last_seen < liveness_window();
  }
  // The worker registered under worker id `name`, if any.
  WorkerRecord* find_by_name(const std::string& name);
  // Records a dispatch of `task_id` to `w`, consuming one credit.
  void lease(WorkerRecord& w, std::uint64_t task_id);
  // Ends a lease; false when `w` did not hold it.
  bool unlease(WorkerRecord& w, std::uint64_t task_id);

  // Identities of workers silent for longer than the liveness window.
  std::vector<std::string> expired(TimePoint now) const;
  // When the earliest worker would expire, if any.
  std::optional<TimePoint> next_expiry() const;

  const std::map<std::string, WorkerRecord>& all() const { return workers_; }
  std::size_t size() const { return workers_.size(); }
  Millis heartbeat() const { return heartbeat_; }

 private:
  void rotate_in(WorkerRecord& w);
  Millis liveness_window() const { return heartbeat_ * proto::kHeartbeatLiveness; }

  Millis heartbeat_;
  std::map<std::string, WorkerRecord> workers_;
  std::deque<std::string> rotation_;  // identities that may have credit
};

}  // namespace zfleet::broker
