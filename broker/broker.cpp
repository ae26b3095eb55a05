// Broker core: message routing by command, dispatch, timers and the task
// lifecycle transitions shared by client and worker handling.
#include "broker/broker.hpp"

#include <spdlog/spdlog.h>

namespace zfleet::broker {

Broker::Broker(BrokerSettings settings, const Clock& clock, TaskStore& store)
    : settings_(std::move(settings)),
      clock_(clock),
      store_(store),
      queue_(settings_.default_limit),
      workers_(settings_.heartbeat),
      started_at_(clock.now()),
      next_heartbeat_(clock.now() + settings_.heartbeat) {
  for (const auto& [project, limit] : settings_.limits)
    queue_.set_limit(project, limit);
}

void Broker::send(Peer peer, const std::string& identity, std::string_view command,
                  std::string body, std::uint64_t task_id) {
  outbox_.push_back(Outgoing{peer, identity, command, std::move(body), task_id});
}

void Broker::reply_error(Peer peer, const std::string& identity, std::uint64_t req, ErrorCode code,
                         std::string message) {
  send(peer, identity, proto::cmd::kError,
       msg::encode(msg::ErrorReply{req, code, std::move(message)}));
}

void Broker::on_bad_frames(Peer peer, const std::string& identity,
                           const codec::DecodeError& error) {
  if (error.code == ErrorCode::kUnsupportedVersion) {
    ++stats_.bad_versions;
  } else {
    ++stats_.bad_frames;
  }
  spdlog::debug("bad frames from {} peer: {}", peer == Peer::kClient ? "client" : "worker",
                error.message);
  if (!identity.empty()) reply_error(peer, identity, 0, error.code, error.message);
}

void Broker::on_client(const frames::Received& m) {
  codec::DecodeError error;
  auto body = codec::parse_body(m.body, error);
  if (!body) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kClient, m.identity, 0, error.code, error.message);
  }
  const msgpack::object& root = body->root();
  const std::string& c = m.command;
  namespace cmd = proto::cmd;
  if (c == cmd::kSubmit) return submit(m.identity, root);
  if (c == cmd::kStatus) return query(m.identity, root, false);
  if (c == cmd::kResult) return query(m.identity, root, true);
  if (c == cmd::kSetLimit) return set_limit(m.identity, root);
  msg::Request request;
  const bool simple =
      c == cmd::kStats || c == cmd::kWorkers || c == cmd::kProjects || c == cmd::kPing;
  if (!simple) {
    ++stats_.unknown_commands;
    return reply_error(Peer::kClient, m.identity, msg::peek_req(root), ErrorCode::kUnknownCommand,
                       "unknown command '" + c.substr(0, proto::kMaxCommandBytes) + "'");
  }
  if (auto e = msg::decode(root, request)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kClient, m.identity, 0, e->code, e->message);
  }
  if (c == cmd::kStats) return reply_stats(m.identity, request.req);
  if (c == cmd::kWorkers) return reply_workers(m.identity, request.req);
  if (c == cmd::kProjects) return reply_projects(m.identity, request.req);
  msg::PongReply pong{request.req, ZFLEET_VERSION,
                      static_cast<std::uint64_t>((clock_.now() - started_at_).count())};
  send(Peer::kClient, m.identity, cmd::kPong, msg::encode(pong));
}

void Broker::on_worker(const frames::Received& m) {
  codec::DecodeError error;
  auto body = codec::parse_body(m.body, error);
  if (!body) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kWorker, m.identity, 0, error.code, error.message);
  }
  const msgpack::object& root = body->root();
  const std::string& c = m.command;
  namespace cmd = proto::cmd;
  if (c == cmd::kReady) return ready(m.identity, root);
  WorkerRecord* w = workers_.find(m.identity);
  const bool known_command = c == cmd::kStarted || c == cmd::kDone || c == cmd::kFailed ||
                             c == cmd::kReject || c == cmd::kCredit || c == cmd::kHeartbeat ||
                             c == cmd::kDrain || c == cmd::kDisconnect;
  if (!known_command) {
    ++stats_.unknown_commands;
    return reply_error(Peer::kWorker, m.identity, 0, ErrorCode::kUnknownCommand,
                       "unknown command '" + c.substr(0, proto::kMaxCommandBytes) + "'");
  }
  if (w == nullptr) {
    // Not registered (never, or expired since): it must send READY again.
    ++stats_.unknown_worker_messages;
    if (c == cmd::kDisconnect) return;
    return reply_error(Peer::kWorker, m.identity, 0, ErrorCode::kUnknownWorker, "send READY first");
  }
  workers_.touch(*w, clock_.now());
  if (c == cmd::kHeartbeat) return;
  if (c == cmd::kStarted) return started(*w, root);
  if (c == cmd::kDone) return done(*w, root);
  if (c == cmd::kFailed) return failed(*w, root);
  if (c == cmd::kReject) return reject(*w, root);
  if (c == cmd::kCredit) {
    msg::Credit credit;
    if (auto e = msg::decode(root, credit)) {
      ++stats_.bad_bodies;
      return reply_error(Peer::kWorker, m.identity, 0, e->code, e->message);
    }
    return workers_.add_credit(*w, credit.credit);
  }
  if (c == cmd::kDrain) {
    spdlog::info("worker {} is draining", w->name);
    return workers_.set_draining(*w);
  }
  ++stats_.workers_disconnected;
  lose_worker(m.identity, "disconnected");
}

void Broker::before_sleep() {
  // Pair queued tasks with worker credit until one of them runs out.
  while (queue_.queued() > 0) {
    WorkerRecord* w = workers_.next_with_credit();
    if (w == nullptr) break;
    auto next = queue_.pop();
    if (!next) break;  // everything queued belongs to projects at their limit
    Task* task = store_.find(next->id);
    if (task == nullptr || task->state != msg::TaskState::kQueued) {
      queue_.release(next->project);  // no longer runnable (evicted or changed)
      continue;
    }
    ++task->attempts;
    task->state = msg::TaskState::kRunning;
    task->worker_identity = w->identity;
    task->worker_name = w->name;
    task->started_at_ms = 0;
    store_.saved(*task);
    workers_.lease(*w, task->id);
    ++stats_.tasks_dispatched;
    send(Peer::kWorker, w->identity, proto::cmd::kTask,
         msg::encode(msg::TaskAssignment{task->id, task->attempts, task->spec}), task->id);
  }
}

void Broker::on_timer() {
  const TimePoint now = clock_.now();
  for (const auto& identity : workers_.expired(now)) {
    ++stats_.workers_expired;
    lose_worker(identity, "missed heartbeats");
  }
  if (now >= next_heartbeat_) {
    const std::string body = msg::encode(msg::Heartbeat{0});
    for (const auto& [identity, w] : workers_.all()) {
      send(Peer::kWorker, identity, proto::cmd::kHeartbeat, body);
    }
    next_heartbeat_ = now + settings_.heartbeat;
  }
  while (!waiter_deadlines_.empty() && waiter_deadlines_.top().deadline <= now) {
    const Waiter expired = waiter_deadlines_.top();
    waiter_deadlines_.pop();
    auto it = waiters_by_task_.find(expired.task_id);
    if (it == waiters_by_task_.end()) continue;  // already answered
    auto& list = it->second;
    for (auto w = list.begin(); w != list.end(); ++w) {
      if (w->identity == expired.identity && w->req == expired.req) {
        if (const Task* task = store_.find(expired.task_id)) {
          send(Peer::kClient, w->identity, proto::cmd::kResultReply,
               msg::encode(msg::TaskReply{w->req, task->view(true)}));
        } else {
          reply_error(Peer::kClient, w->identity, w->req, ErrorCode::kNotFound, "no such task");
        }
        list.erase(w);
        --waiters_;
        break;
      }
    }
    if (list.empty()) waiters_by_task_.erase(it);
  }
}

TimePoint Broker::next_deadline() const {
  TimePoint next = next_heartbeat_;
  if (auto expiry = workers_.next_expiry(); expiry && *expiry < next) next = *expiry;
  if (!waiter_deadlines_.empty() && waiter_deadlines_.top().deadline < next) {
    next = waiter_deadlines_.top().deadline;
  }
  return next;
}

void Broker::on_undeliverable(const Outgoing& out) {
  ++stats_.undeliverable;
  if (out.peer != Peer::kWorker || out.task_id == 0) return;
  // A TASK that never left: the worker is gone or flooded; requeue at once
  // rather than waiting for its heartbeats to lapse.
  Task* task = store_.find(out.task_id);
  if (task == nullptr || task->state != msg::TaskState::kRunning ||
      task->worker_identity != out.identity) {
    return;
  }
  if (WorkerRecord* w = workers_.find(out.identity)) workers_.unlease(*w, task->id);
  requeue(*task);
}

void Broker::requeue(Task& task) {
  queue_.release(task.spec.project);
  task.state = msg::TaskState::kQueued;
  task.worker_identity.clear();
  store_.saved(task);
  queue_.push_front(task.spec.project, task.spec.priority, task.id);
  ++stats_.tasks_requeued;
}

void Broker::lose_worker(const std::string& identity, std::string_view why) {
  auto w = workers_.remove(identity);
  if (!w) return;
  spdlog::warn("worker {} ({}) lost: {}; requeueing {} task(s)", w->name, w->hostname, why,
               w->leases.size());
  for (std::uint64_t id : w->leases) {
    Task* task = store_.find(id);
    if (task != nullptr && task->state == msg::TaskState::kRunning &&
        task->worker_identity == identity) {
      requeue(*task);
    }
  }
}

void Broker::finish(Task& task, msg::Outcome outcome) {
  const bool ok = outcome.succeeded();
  queue_.release(task.spec.project);
  queue_.record_outcome(task.spec.project, ok);
  task.state = ok ? msg::TaskState::kSucceeded : msg::TaskState::kFailed;
  task.worker_identity.clear();
  if (outcome.started_at_ms != 0) task.started_at_ms = outcome.started_at_ms;
  task.finished_at_ms = outcome.finished_at_ms != 0 ? outcome.finished_at_ms : clock_.wall_ms();
  task.outcome = std::move(outcome);
  store_.saved(task);
  ++(ok ? stats_.tasks_succeeded : stats_.tasks_failed);
  --unfinished_;
  answer_waiters(task);
  retain(task.id);
}

void Broker::retain(std::uint64_t finished_id) {
  finished_order_.push_back(finished_id);
  while (finished_order_.size() > settings_.result_retention) {
    store_.erase(finished_order_.front());
    finished_order_.pop_front();
    ++stats_.results_evicted;
  }
}

}  // namespace zfleet::broker
