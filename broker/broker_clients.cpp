// Broker: the producer-facing commands (SUBMIT, STATUS, RESULT, CANCEL) and
// long-poll waiters. Every body is untrusted: a decode failure gets an ERROR
// reply carrying the request id when one could be read.
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"

namespace zfleet::broker {

void Broker::submit(const std::string& identity, const msgpack::object& body) {
  msg::SubmitRequest request;
  if (!decode_or_reply(Peer::kClient, identity, body, request)) return;
  const std::int64_t now_ms = clock_.wall_ms();
  if (!request.task.idempotency_key.empty()) {
    if (auto id = idempotency_.find(request.task.idempotency_key, now_ms)) {
      ++stats_.duplicate_submits;
      return send(Peer::kClient, identity, proto::cmd::kSubmitted,
                  msg::encode(msg::SubmittedReply{request.req, *id, true}));
    }
  }
  if (!accepting_) {
    ++stats_.submits_refused;
    return reply_error(Peer::kClient, identity, request.req, ErrorCode::kShuttingDown,
                       "the broker is shutting down");
  }
  if (unfinished_ >= settings_.max_tasks) {
    ++stats_.submits_refused;
    return reply_error(Peer::kClient, identity, request.req, ErrorCode::kQueueFull,
                       "the broker holds its maximum of " + std::to_string(settings_.max_tasks) +
                           " unfinished tasks");
  }
  if (!project_room(request.task.project)) {
    ++stats_.submits_refused;
    return reply_error(Peer::kClient, identity, request.req, ErrorCode::kQueueFull,
                       "too many projects");
  }
  Task task;
  task.spec = std::move(request.task);
  task.submitted_at_ms = now_ms;
  Task& stored = store_.insert(std::move(task));
  if (!stored.spec.idempotency_key.empty()) {
    idempotency_.add(stored.spec.idempotency_key, stored.id, now_ms);
  }
  if (stored.spec.not_before_ms > now_ms) {
    schedule(stored, stored.spec.not_before_ms);
  } else {
    enqueue(stored, false);
  }
  ++unfinished_;
  ++stats_.tasks_submitted;
  msg::Event event;
  event.kind = "submitted";
  event.state = std::string(msg::state_name(stored.state));
  emit_task_event(stored, std::move(event));
  // Sent after before_sleep() has committed the store (see broker.hpp).
  send(Peer::kClient, identity, proto::cmd::kSubmitted,
       msg::encode(msg::SubmittedReply{request.req, stored.id, false}));
}

Task* Broker::find_queried_task(const std::string& identity, const msgpack::object& body,
                                msg::TaskQuery& q) {
  if (!decode_or_reply(Peer::kClient, identity, body, q)) return nullptr;
  Task* task = store_.find(q.id);
  if (task == nullptr) {
    reply_error(Peer::kClient, identity, q.req, ErrorCode::kNotFound,
                "no task " + std::to_string(q.id) + " (never submitted, or expired)");
  }
  return task;
}

void Broker::query(const std::string& identity, const msgpack::object& body, bool result) {
  msg::TaskQuery q;
  const Task* task = find_queried_task(identity, body, q);
  if (task == nullptr) return;
  if (!result) {
    return send(Peer::kClient, identity, proto::cmd::kStatusReply,
                msg::encode(msg::TaskReply{q.req, task->view(false)}));
  }
  // Held until the task ends or the wait is over; answered now when final,
  // not waiting, or when too many wait already.
  if (!msg::is_final(task->state) && q.wait_ms != 0 &&
      result_waiters_.add(identity, q.req, q.id, clock_.now() + Millis{q.wait_ms})) {
    return;
  }
  send(Peer::kClient, identity, proto::cmd::kResultReply,
       msg::encode(msg::TaskReply{q.req, task->view(true)}));
}

void Broker::cancel(const std::string& identity, const msgpack::object& body) {
  msg::TaskQuery q;
  Task* task = find_queried_task(identity, body, q);
  if (task == nullptr) return;
  if (msg::is_final(task->state)) {
    return reply_error(Peer::kClient, identity, q.req, ErrorCode::kInvalidState,
                       "task " + std::to_string(q.id) + " is already " +
                           std::string(msg::state_name(task->state)));
  }
  switch (task->state) {
    case msg::TaskState::kQueued:
      if (!queue_.remove(task->spec.project, task->spec.priority, task->id)) {
        unplaced_.remove(task->id);
      }
      break;
    case msg::TaskState::kRunning:
      // The worker stops it and reports; its slot is freed then. The project
      // slot is freed now, since the task is over as far as producers care.
      queue_.release(task->spec.project);
      ++stats_.cancels_sent;
      send(Peer::kWorker, task->worker_identity, proto::cmd::kCancel,
           msg::encode(msg::CancelAttempt{task->id, task->attempts, "cancelled by request"}));
      break;
    default:  // scheduled: its delay entry is skipped when it comes due
      break;
  }
  const std::string worker = task->worker_identity;
  msg::Event event;
  event.kind = "cancelled";
  event.reason = "client";
  emit_task_event(*task, std::move(event));
  finish(*task, msg::TaskState::kCancelled, "cancel");
  task->worker_identity = worker;  // still held until the worker reports
  store_.saved(*task);
  spdlog::info("task {} cancelled", task->id);
  send(Peer::kClient, identity, proto::cmd::kOk, msg::encode(msg::OkReply{q.req, 0}));
}

void Broker::answer_waiters(const Task& task) {
  for (const auto& w : result_waiters_.take(task.id)) {
    send(Peer::kClient, w.identity, proto::cmd::kResultReply,
         msg::encode(msg::TaskReply{w.req, task.view(true)}));
    outbox_.back().needs_commit = true;  // the ending it reports is not durable yet
  }
}

void Broker::reply_stats(const std::string& identity, std::uint64_t req) {
  msg::StatsReply reply;
  reply.req = req;
  stats_.add_to(reply.stats);
  std::uint64_t running = 0;
  const auto projects = queue_.projects();
  for (const auto& [name, p] : projects)
    running += p.running;
  std::uint64_t slots = 0;
  std::uint64_t credit = 0;
  for (const auto& [id, w] : workers_.all()) {
    slots += w.slots;
    credit += w.credit;
  }
  reply.stats.emplace_back("tasks_queued", queue_.queued() + unplaced_.size());
  reply.stats.emplace_back("tasks_unplaced_now", unplaced_.size());
  reply.stats.emplace_back("storage_degraded", storage_.degraded ? 1 : 0);
  reply.stats.emplace_back(
      "storage_degraded_ms",
      storage_.degraded ? static_cast<std::uint64_t>((clock_.now() - storage_.since).count()) : 0);
  reply.stats.emplace_back("storage_held_messages", storage_.outbox.size());
  reply.stats.emplace_back("tasks_scheduled", delays_.size());
  reply.stats.emplace_back("tasks_running", running);
  reply.stats.emplace_back("tasks_unfinished", unfinished_);
  reply.stats.emplace_back("tasks_retained", store_.size());
  reply.stats.emplace_back("tasks_dead_letter", dead_.size());
  reply.stats.emplace_back("idempotency_keys", idempotency_.size());
  reply.stats.emplace_back("projects", projects.size());
  reply.stats.emplace_back("workers", workers_.size());
  reply.stats.emplace_back("worker_slots", slots);
  reply.stats.emplace_back("worker_credit", credit);
  reply.stats.emplace_back("result_waiters", result_waiters_.size());
  reply.stats.emplace_back("events_published", publisher_ ? publisher_->published() : 0);
  reply.stats.emplace_back("events_dropped", publisher_ ? publisher_->dropped() : 0);
  reply.stats.emplace_back("event_subscriptions", publisher_ ? publisher_->subscriptions() : 0);
  reply.stats.emplace_back("live_logs", live_logs_.size());
  reply.stats.emplace_back("uptime_ms",
                           static_cast<std::uint64_t>((clock_.now() - started_at_).count()));
  send(Peer::kClient, identity, proto::cmd::kStatsReply, msg::encode(reply));
}

void Broker::reply_workers(const std::string& identity, std::uint64_t req) {
  msg::WorkersReply reply;
  reply.req = req;
  const TimePoint now = clock_.now();
  for (const auto& [id, w] : workers_.all()) {
    msg::WorkerView v;
    v.id = w.name;
    v.hostname = w.hostname;
    v.pid = w.pid;
    v.slots = w.slots;
    v.busy = static_cast<std::uint32_t>(w.leases.size());
    v.credit = w.credit;
    v.labels = w.labels;
    v.tasks_done = w.tasks_done;
    v.connected_ms = static_cast<std::uint64_t>((now - w.connected_at).count());
    v.idle_ms = static_cast<std::uint64_t>((now - w.last_seen).count());
    v.draining = w.draining;
    v.min_slots = w.min_slots;
    v.max_slots = w.max_slots;
    v.layers = w.layers;
    v.task_types = w.task_types;
    v.modules = w.modules;
    v.limits = w.limits;
    reply.workers.push_back(std::move(v));
  }
  send(Peer::kClient, identity, proto::cmd::kWorkersReply, msg::encode(reply));
}

}  // namespace zfleet::broker
