// Broker: the broker's state machine, free of sockets. The reactor hands it
// each received message with the current time; it answers by appending to
// its outbox, which the reactor sends after before_sleep().
//
// It owns the task lifecycle:
//   submit -> queued | scheduled (not_before_ms)
//   queued -> running (dispatched as a new attempt to a worker with credit)
//   running -> succeeded | failed | dead | cancelled, or back to queued /
//              scheduled when the retry policy retries the attempt's ending
//   scheduled -> queued when its moment comes
// plus dispatch by credit, heartbeats, result long-polls, idempotency keys,
// the dead-letter list, retention of finished tasks and STATS counters.
//
// It also relays what running attempts report (EVENT, OUTPUT, HEARTBEAT
// activity) to event subscribers, holding each running attempt's live status
// and output tail (LiveLog) until the attempt ends, and forwards SUSPEND and
// RESUME to the worker holding the attempt.
//
// Ordering rule: everything produced in one loop turn (replies, dispatches and
// events) leaves only after commit() (one transaction for the whole turn), so nothing
// is acknowledged before it is durable, no attempt number is in use that the
// journal has not recorded, and a commit that fails (JournalError) means none
// of that turn's messages may be sent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "broker/broker_stats.hpp"
#include "broker/dead_letters.hpp"
#include "broker/delay_queue.hpp"
#include "broker/event_sink.hpp"
#include "broker/idempotency_index.hpp"
#include "broker/leases.hpp"
#include "broker/live_logs.hpp"
#include "broker/placement.hpp"
#include "broker/project_policies.hpp"
#include "broker/result_waiters.hpp"
#include "broker/retention.hpp"
#include "broker/retry_policy.hpp"
#include "broker/task_queue.hpp"
#include "broker/task_store.hpp"
#include "broker/worker_registry.hpp"
#include "common/clock.hpp"
#include "common/received_message.hpp"

namespace zfleet::broker {

struct BrokerSettings {
  Millis heartbeat{proto::kDefaultHeartbeatMs};
  std::uint32_t default_limit = 0;  // per project; 0: unlimited
  std::vector<std::pair<std::string, std::uint32_t>> limits;
  ResolvedPolicy retry_defaults;          // for fields neither task nor project sets
  std::size_t max_tasks = 1'000'000;      // unfinished tasks held at once
  std::size_t retention_count = 100'000;  // finished tasks kept for RESULT
  std::int64_t retention_age_ms = 7LL * 24 * 3600 * 1000;
  std::int64_t idempotency_window_ms = 24LL * 3600 * 1000;
  std::size_t max_projects = 10'000;
  std::size_t max_waiters = 100'000;  // RESULT long-polls held at once
  std::uint64_t rng_seed = 0;         // 0: from std::random_device
};

enum class Peer : std::uint8_t { kClient, kWorker };

struct Outgoing {
  Peer peer;
  std::string identity;
  std::string_view command;  // one of the proto::cmd constants
  std::string body;
  std::uint64_t task_id = 0;  // set on TASK, so an undeliverable one is requeued
  // A reply that reports a change of this turn (a RESULT long-poll answered
  // by the task's ending), though its command is a read's: held with the
  // changes while the journal refuses them (broker_storage.cpp).
  bool needs_commit = false;
};

// An event for the PUB socket: topic and msgpack body (Event or OutputChunk).
struct OutgoingEvent {
  std::string topic;
  std::string body;
};

class Broker {
 public:
  // Rebuilds queues, delays, dead letters and idempotency keys from `store`.
  Broker(BrokerSettings settings, const Clock& clock, TaskStore& store);

  void on_client(const frames::Received& message);
  void on_worker(const frames::Received& message);
  // A message whose frames could not be parsed (already counted here).
  void on_bad_frames(Peer peer, const std::string& identity, const codec::DecodeError& error);
  // The work of a loop turn after its messages: dispatch and prune. What it
  // queues in the outbox is sent only after commit().
  void prepare_turn();
  // Makes the turn's changes durable; throws JournalError.
  void commit() { store_.commit(); }
  // prepare_turn() then commit(), for callers that send nothing in between.
  void before_sleep() {
    prepare_turn();
    commit();
  }
  // commit() for the reactor: when the journal refuses the write, the broker
  // stays up degraded (broker_storage.cpp) and leaves in outbox() and
  // events() only what may be sent without it. Never throws JournalError.
  void settle();
  bool storage_degraded() const { return storage_.degraded; }
  // Heartbeats, expired workers, due delayed tasks, expired long-polls.
  void on_timer();
  TimePoint next_deadline() const;
  // When a degraded broker next tries to commit.
  std::optional<TimePoint> storage_retry_at() const;
  // The reactor could not deliver `out` (peer gone or its queue full).
  void on_undeliverable(const Outgoing& out);
  // Stop accepting submissions (SHUTTING_DOWN); queries still answered.
  void stop_accepting() { accepting_ = false; }

  // Events are encoded only for topics `publisher` has subscribers for, and
  // none at all when it is null (events disabled). Without a call every event
  // is queued (tests read them from events()). `endpoint` is what PONG tells.
  void attach_events(const EventSink* publisher, std::string endpoint);

  std::vector<Outgoing>& outbox() { return outbox_; }
  // Events of this turn; like the outbox, published only after commit().
  std::vector<OutgoingEvent>& events() { return events_; }
  const BrokerStats& stats() const { return stats_; }
  const TaskQueue& queue() const { return queue_; }
  const WorkerRegistry& workers() const { return workers_; }

 private:
  friend struct CommandRows;  // the command tables (command_handlers.cpp)

  // Client commands (broker_clients.cpp, broker_admin.cpp).
  void submit(const std::string& identity, const msgpack::object& body);
  void query(const std::string& identity, const msgpack::object& body, bool result);
  void cancel(const std::string& identity, const msgpack::object& body);
  void reply_stats(const std::string& identity, std::uint64_t req);
  void reply_workers(const std::string& identity, std::uint64_t req);
  void reply_projects(const std::string& identity, std::uint64_t req);
  void set_limit(const std::string& identity, const msgpack::object& body);
  void set_policy(const std::string& identity, const msgpack::object& body);
  void dlq_list(const std::string& identity, const msgpack::object& body);
  void dlq_retry(const std::string& identity, const msgpack::object& body);
  void dlq_purge(const std::string& identity, std::uint64_t req);
  void reply_pong(const std::string& identity, std::uint64_t req);
  void suspend_or_resume(const std::string& identity, const msgpack::object& body, bool suspend);
  void logs(const std::string& identity, const msgpack::object& body);
  void reply_error(Peer peer, const std::string& identity, std::uint64_t req, ErrorCode code,
                   std::string message);
  // Degraded storage: answers STORAGE_FULL and returns true. Called for the
  // commands whose row in command_handlers.cpp writes the journal.
  bool refuse_if_storage_down(const std::string& identity, const msgpack::object& body);
  // Moves what depends on the failed commit out of the outbox into storage_.
  void hold_writes();
  // Decodes `body` into `out`; on failure counts it and answers ERROR (with
  // the request id when one can be read) and returns false.
  template <typename T>
  bool decode_or_reply(Peer peer, const std::string& identity, const msgpack::object& body,
                       T& out) {
    if (auto e = msg::decode(body, out)) {
      ++stats_.bad_bodies;
      reply_error(peer, identity, msg::peek_req(body), e->code, e->message);
      return false;
    }
    return true;
  }
  // Decodes a request naming a task (`id`) into `q` and finds that task;
  // answers ERROR (a bad body, or NOT_FOUND) and returns nullptr otherwise.
  Task* find_queried_task(const std::string& identity, const msgpack::object& body,
                          msg::TaskQuery& q);
  void answer_waiters(const Task& task);
  bool project_room(const std::string& project) const;
  void save_project(const std::string& project);

  // Worker commands (broker_workers.cpp).
  void ready(const std::string& identity, const msgpack::object& body);
  void reconcile(WorkerRecord& w, const msg::Ready& ready);
  bool admit_worker_id(const std::string& identity, const msg::Ready& ready);
  void started(WorkerRecord& w, const msgpack::object& body);
  void done(WorkerRecord& w, const msgpack::object& body);
  void failed(WorkerRecord& w, const msgpack::object& body);
  void reject(WorkerRecord& w, const msgpack::object& body);
  void credit(const std::string& identity, WorkerRecord& w, const msgpack::object& body);
  // Leases::settle, counting a stale report (results_stale).
  Task* settle_lease(WorkerRecord& w, std::uint64_t task_id, std::uint32_t attempt,
                     std::uint32_t credit);
  void lose_worker(const std::string& identity, std::string_view why);

  // What running attempts report (broker_live.cpp).
  void heartbeat(WorkerRecord& w, const msgpack::object& body);
  void worker_event(WorkerRecord& w, const msgpack::object& body);
  void output(WorkerRecord& w, const msgpack::object& body);
  // Drops the live status and output tail of the task's attempt (it ended).
  void forget_live(Task& task);
  void set_worker_slots(WorkerRecord& w, std::uint32_t slots);
  // Fills in the task's id, attempt, project and worker and queues the event
  // under "task.<id>.<kind>" when someone subscribed to it.
  void emit_task_event(const Task& task, msg::Event event);
  void emit_worker_event(const WorkerRecord& w, msg::Event event);
  bool wants_event(std::string_view topic) const;

  // Lifecycle (broker_lifecycle.cpp).
  void recover();
  void enqueue(Task& task, bool front);
  // enqueue(front) for an attempt handed back, with a requeued event.
  void requeue(Task& task, std::string_view reason);
  void schedule(Task& task, std::int64_t due_ms);
  // An attempt ended: succeeded, or failed/retried/dead by the retry policy.
  // `ending` overrides what the outcome says (a lost attempt has no outcome).
  void end_attempt(Task& task, msg::Outcome outcome, std::optional<Ending> ending = {});
  // `reason`: why, for the finished event (an ending's name, "cancel").
  void finish(Task& task, msg::TaskState state, std::string_view reason = {});
  void dispatch();
  // Sets aside a popped task that no connected worker can run (placement.hpp).
  void hold_unplaced(Task& task);
  // Puts back into the queue the held tasks that `w` can run.
  void release_unplaced(const WorkerRecord& w);
  void promote_due();
  // Evicts finished tasks past retention (at most `budget` looked at).
  void prune(std::size_t budget);
  void send(Peer peer, const std::string& identity, std::string_view command, std::string body,
            std::uint64_t task_id = 0);

  struct Storage {
    bool degraded = false;
    TimePoint since{};
    TimePoint retry_at{};
    Millis delay{0};
    std::string error;
    std::vector<Outgoing> outbox;  // held until a commit succeeds
    std::vector<OutgoingEvent> events;
  };

  BrokerSettings settings_;
  const Clock& clock_;
  TaskStore& store_;
  TaskQueue queue_;
  PlacementHold unplaced_;  // queued tasks no connected worker can run
  WorkerRegistry workers_;
  Leases leases_;  // which worker holds which attempt: the fence on reports
  DelayQueue delays_;
  IdempotencyIndex idempotency_;
  ResultWaiters result_waiters_;  // RESULT long-polls
  BrokerStats stats_;
  std::mt19937_64 rng_;
  ProjectPolicies policies_;  // projects' own retry policies, and resolution
  DeadLetters dead_;
  std::vector<Outgoing> outbox_;
  std::vector<OutgoingEvent> events_;
  const EventSink* publisher_ = nullptr;
  bool events_attached_ = false;
  std::string events_endpoint_;
  LiveLogs live_logs_;   // output tails of running attempts
  Retention retention_;  // finished tasks in finishing order
  std::uint64_t unfinished_ = 0;
  TimePoint started_at_;
  TimePoint next_heartbeat_;
  bool accepting_ = true;
  Storage storage_;
};

}  // namespace zfleet::broker
