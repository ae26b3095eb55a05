// Broker: the operator commands (PROJECTS, SET_LIMIT, SET_POLICY and the
// dead-letter list: DLQ_LIST, DLQ_RETRY, DLQ_PURGE). Project settings are
// saved in the store so they survive a restart.
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"

namespace zfleet::broker {

bool Broker::project_room(const std::string& project) const {
  return queue_.project(project) != nullptr || queue_.projects().size() < settings_.max_projects;
}

void Broker::save_project(const std::string& project) {
  ProjectSettings settings;
  settings.name = project;
  if (const ProjectCounters* c = queue_.project(project)) settings.limit = c->limit;
  settings.policy = policies_.policy_of(project);
  store_.save_project(settings);
}

void Broker::reply_projects(const std::string& identity, std::uint64_t req) {
  msg::ProjectsReply reply;
  reply.req = req;
  for (const auto& [name, p] : queue_.projects()) {
    msg::ProjectView v;
    v.name = name;
    v.limit = p.limit;
    v.policy = policies_.policy_of(name);
    v.queued = p.queued + unplaced_.held_in(name);
    v.running = p.running;
    v.peak_running = p.peak_running;
    v.succeeded = p.succeeded;
    v.failed = p.failed;
    v.dead = p.dead;
    v.cancelled = p.cancelled;
    reply.projects.push_back(std::move(v));
  }
  send(Peer::kClient, identity, proto::cmd::kProjectsReply, msg::encode(reply));
}

void Broker::set_limit(const std::string& identity, const msgpack::object& body) {
  msg::SetLimitRequest request;
  if (!decode_or_reply(Peer::kClient, identity, body, request)) return;
  if (!project_room(request.project)) {
    return reply_error(Peer::kClient, identity, request.req, ErrorCode::kQueueFull,
                       "too many projects");
  }
  queue_.set_limit(request.project, request.limit);
  save_project(request.project);
  spdlog::info("project {} limit set to {}", request.project, request.limit);
  send(Peer::kClient, identity, proto::cmd::kOk, msg::encode(msg::OkReply{request.req, 0}));
}

void Broker::set_policy(const std::string& identity, const msgpack::object& body) {
  msg::SetPolicyRequest request;
  if (!decode_or_reply(Peer::kClient, identity, body, request)) return;
  if (!project_room(request.project)) {
    return reply_error(Peer::kClient, identity, request.req, ErrorCode::kQueueFull,
                       "too many projects");
  }
  queue_.set_limit(request.project, queue_.project(request.project) != nullptr
                                        ? queue_.project(request.project)->limit
                                        : settings_.default_limit);
  policies_.set(request.project, request.policy);
  save_project(request.project);
  spdlog::info("project {} retry policy set", request.project);
  send(Peer::kClient, identity, proto::cmd::kOk, msg::encode(msg::OkReply{request.req, 0}));
}

void Broker::dlq_list(const std::string& identity, const msgpack::object& body) {
  msg::DlqListRequest request;
  if (!decode_or_reply(Peer::kClient, identity, body, request)) return;
  msg::DlqReply reply;
  reply.req = request.req;
  reply.total = dead_.size();
  for (std::uint64_t id : dead_.first(request.limit)) {
    if (const Task* task = store_.find(id)) reply.tasks.push_back(task->view(true));
  }
  send(Peer::kClient, identity, proto::cmd::kDlqReply, msg::encode(reply));
}

void Broker::dlq_retry(const std::string& identity, const msgpack::object& body) {
  msg::TaskQuery q;
  Task* task = find_queried_task(identity, body, q);
  if (task == nullptr) return;
  if (task->state != msg::TaskState::kDead) {
    return reply_error(Peer::kClient, identity, q.req, ErrorCode::kInvalidState,
                       "task " + std::to_string(q.id) + " is " +
                           std::string(msg::state_name(task->state)) + ", not dead");
  }
  dead_.remove(task->id);
  task->retry_base = task->attempts;  // a fresh budget
  task->finished_at_ms = 0;
  task->ended_at_ms = 0;
  ++unfinished_;
  enqueue(*task, false);
  spdlog::info("task {} retried from the dead-letter list", task->id);
  send(Peer::kClient, identity, proto::cmd::kOk, msg::encode(msg::OkReply{q.req, 0}));
}

void Broker::dlq_purge(const std::string& identity, std::uint64_t req) {
  const std::vector<std::uint64_t> purged = dead_.take_all();
  const std::uint64_t count = purged.size();
  for (std::uint64_t id : purged)
    store_.erase(id);
  spdlog::info("purged {} dead tasks", count);
  send(Peer::kClient, identity, proto::cmd::kOk, msg::encode(msg::OkReply{req, count}));
}

}  // namespace zfleet::broker
