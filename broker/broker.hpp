// Broker: the broker's state machine, free of sockets. The reactor hands it
// each received message with the current time; it answers by appending to
// its outbox, which the reactor sends after before_sleep(). It owns the task
// lifecycle (queued -> running -> succeeded | failed, back to queued when a
// worker is lost), dispatch by credit, heartbeats, result long-polls and the
// counters behind STATS.
//
// Ordering rule: replies and dispatches produced in one loop turn leave only
// after before_sleep(), which is where a durable store commits, so nothing is
// acknowledged before it is recorded.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/broker_stats.hpp"
#include "broker/task_queue.hpp"
#include "broker/task_store.hpp"
#include "broker/worker_registry.hpp"
#include "common/clock.hpp"
#include "common/frames.hpp"

namespace zfleet::broker {

struct BrokerSettings {
  Millis heartbeat{proto::kDefaultHeartbeatMs};
  std::uint32_t default_limit = 0;  // per project; 0: unlimited
  std::vector<std::pair<std::string, std::uint32_t>> limits;
  std::size_t max_tasks = 1'000'000;       // unfinished tasks held at once
  std::size_t result_retention = 100'000;  // finished tasks kept for RESULT
  std::size_t max_projects = 10'000;
  std::size_t max_waiters = 100'000;  // RESULT long-polls held at once
};

enum class Peer : std::uint8_t { kClient, kWorker };

struct Outgoing {
  Peer peer;
  std::string identity;
  std::string_view command;  // one of the proto::cmd constants
  std::string body;
  std::uint64_t task_id = 0;  // set on TASK, so an undeliverable one is requeued
};

class Broker {
 public:
  Broker(BrokerSettings settings, const Clock& clock, TaskStore& store);

  void on_client(const frames::Received& message);
  void on_worker(const frames::Received& message);
  // A message whose frames could not be parsed (already counted here).
  void on_bad_frames(Peer peer, const std::string& identity, const codec::DecodeError& error);
  // Matches tasks with worker credit; called once per loop turn.
  void before_sleep();
  // Heartbeats, expired workers and expired long-polls.
  void on_timer();
  TimePoint next_deadline() const;
  // The reactor could not deliver `out` (peer gone or its queue full).
  void on_undeliverable(const Outgoing& out);
  // Stop accepting submissions (SHUTTING_DOWN); queries still answered.
  void stop_accepting() { accepting_ = false; }

  std::vector<Outgoing>& outbox() { return outbox_; }
  const BrokerStats& stats() const { return stats_; }
  const TaskQueue& queue() const { return queue_; }
  const WorkerRegistry& workers() const { return workers_; }

 private:
  struct Waiter {
    std::string identity;
    std::uint64_t req;
    TimePoint deadline;
    std::uint64_t task_id;
    bool operator>(const Waiter& o) const { return deadline > o.deadline; }
  };

  // Client commands (broker_clients.cpp).
  void submit(const std::string& identity, const msgpack::object& body);
  void query(const std::string& identity, const msgpack::object& body, bool result);
  void reply_stats(const std::string& identity, std::uint64_t req);
  void reply_workers(const std::string& identity, std::uint64_t req);
  void reply_projects(const std::string& identity, std::uint64_t req);
  void set_limit(const std::string& identity, const msgpack::object& body);
  void reply_error(Peer peer, const std::string& identity, std::uint64_t req, ErrorCode code,
                   std::string message);
  void answer_waiters(const Task& task);

  // Worker commands (broker_workers.cpp).
  void ready(const std::string& identity, const msgpack::object& body);
  void started(WorkerRecord& w, const msgpack::object& body);
  void done(WorkerRecord& w, const msgpack::object& body);
  void failed(WorkerRecord& w, const msgpack::object& body);
  void reject(WorkerRecord& w, const msgpack::object& body);
  // The task's current attempt, if `w` holds it; counts a stale result if not.
  Task* current_lease(WorkerRecord& w, std::uint64_t task_id, std::uint32_t attempt);
  void finish(Task& task, msg::Outcome outcome);
  void requeue(Task& task);
  void lose_worker(const std::string& identity, std::string_view why);
  void send(Peer peer, const std::string& identity, std::string_view command, std::string body,
            std::uint64_t task_id = 0);
  void retain(std::uint64_t finished_id);

  BrokerSettings settings_;
  const Clock& clock_;
  TaskStore& store_;
  TaskQueue queue_;
  WorkerRegistry workers_;
  BrokerStats stats_;
  std::vector<Outgoing> outbox_;
  std::unordered_map<std::uint64_t, std::vector<Waiter>> waiters_by_task_;
  std::priority_queue<Waiter, std::vector<Waiter>, std::greater<>> waiter_deadlines_;
  std::size_t waiters_ = 0;
  std::deque<std::uint64_t> finished_order_;  // oldest first, for retention
  std::uint64_t unfinished_ = 0;
  TimePoint started_at_;
  TimePoint next_heartbeat_;
  bool accepting_ = true;
};

}  // namespace zfleet::broker
