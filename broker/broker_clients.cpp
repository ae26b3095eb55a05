// Broker: the client-facing commands (SUBMIT, STATUS, RESULT, STATS, WORKERS,
// PROJECTS, SET_LIMIT). Every body is untrusted: a decode failure gets an
// ERROR reply carrying the request id when one could be read.
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"

namespace zfleet::broker {

void Broker::submit(const std::string& identity, const msgpack::object& body) {
  msg::SubmitRequest request;
  if (auto e = msg::decode(body, request)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kClient, identity, msg::peek_req(body), e->code, e->message);
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
  if (queue_.project(request.task.project) == nullptr &&
      queue_.projects().size() >= settings_.max_projects) {
    ++stats_.submits_refused;
    return reply_error(Peer::kClient, identity, request.req, ErrorCode::kQueueFull,
                       "too many projects");
  }
  Task task;
  task.spec = std::move(request.task);
  task.submitted_at_ms = clock_.wall_ms();
  Task& stored = store_.insert(std::move(task));
  store_.saved(stored);
  queue_.push(stored.spec.project, stored.spec.priority, stored.id);
  ++unfinished_;
  ++stats_.tasks_submitted;
  send(Peer::kClient, identity, proto::cmd::kSubmitted,
       msg::encode(msg::SubmittedReply{request.req, stored.id}));
}

void Broker::query(const std::string& identity, const msgpack::object& body, bool result) {
  msg::TaskQuery q;
  if (auto e = msg::decode(body, q)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kClient, identity, msg::peek_req(body), e->code, e->message);
  }
  const Task* task = store_.find(q.id);
  if (task == nullptr) {
    return reply_error(Peer::kClient, identity, q.req, ErrorCode::kNotFound,
                       "no task " + std::to_string(q.id) + " (never submitted, or expired)");
  }
  if (!result) {
    return send(Peer::kClient, identity, proto::cmd::kStatusReply,
                msg::encode(msg::TaskReply{q.req, task->view(false)}));
  }
  if (msg::is_final(task->state) || q.wait_ms == 0 || waiters_ >= settings_.max_waiters) {
    return send(Peer::kClient, identity, proto::cmd::kResultReply,
                msg::encode(msg::TaskReply{q.req, task->view(true)}));
  }
  Waiter waiter{identity, q.req, clock_.now() + Millis{q.wait_ms}, q.id};
  waiters_by_task_[q.id].push_back(waiter);
  waiter_deadlines_.push(std::move(waiter));
  ++waiters_;
}

void Broker::answer_waiters(const Task& task) {
  auto it = waiters_by_task_.find(task.id);
  if (it == waiters_by_task_.end()) return;
  for (const Waiter& w : it->second) {
    send(Peer::kClient, w.identity, proto::cmd::kResultReply,
         msg::encode(msg::TaskReply{w.req, task.view(true)}));
    --waiters_;
  }
  // Their entries in waiter_deadlines_ find no list and are skipped.
  waiters_by_task_.erase(it);
}

void Broker::reply_stats(const std::string& identity, std::uint64_t req) {
  msg::StatsReply reply;
  reply.req = req;
  stats_.add_to(reply.stats);
  std::uint64_t running = 0;
  for (const auto& [name, p] : queue_.projects())
    running += p.running;
  std::uint64_t slots = 0;
  std::uint64_t credit = 0;
  for (const auto& [id, w] : workers_.all()) {
    slots += w.slots;
    credit += w.credit;
  }
  reply.stats.emplace_back("tasks_queued", queue_.queued());
  reply.stats.emplace_back("tasks_running", running);
  reply.stats.emplace_back("tasks_retained", store_.size());
  reply.stats.emplace_back("projects", queue_.projects().size());
  reply.stats.emplace_back("workers", workers_.size());
  reply.stats.emplace_back("worker_slots", slots);
  reply.stats.emplace_back("worker_credit", credit);
  reply.stats.emplace_back("result_waiters", waiters_);
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
    reply.workers.push_back(std::move(v));
  }
  send(Peer::kClient, identity, proto::cmd::kWorkersReply, msg::encode(reply));
}

void Broker::reply_projects(const std::string& identity, std::uint64_t req) {
  msg::ProjectsReply reply;
  reply.req = req;
  for (const auto& [name, p] : queue_.projects()) {
    reply.projects.push_back(msg::ProjectView{name, p.limit, p.queued, p.running, p.peak_running,
                                              p.succeeded, p.failed});
  }
  send(Peer::kClient, identity, proto::cmd::kProjectsReply, msg::encode(reply));
}

void Broker::set_limit(const std::string& identity, const msgpack::object& body) {
  msg::SetLimitRequest request;
  if (auto e = msg::decode(body, request)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kClient, identity, msg::peek_req(body), e->code, e->message);
  }
  if (queue_.project(request.project) == nullptr &&
      queue_.projects().size() >= settings_.max_projects) {
    return reply_error(Peer::kClient, identity, request.req, ErrorCode::kQueueFull,
                       "too many projects");
  }
  queue_.set_limit(request.project, request.limit);
  spdlog::info("project {} limit set to {}", request.project, request.limit);
  send(Peer::kClient, identity, proto::cmd::kOk, msg::encode(msg::OkReply{request.req}));
}

}  // namespace zfleet::broker
