// Broker core: routing messages by command (through the tables of
// command_handlers.cpp), the per-turn work (dispatch,
// prune, commit) and timers.
#include "broker/broker.hpp"

#include "broker/command_handlers.hpp"

#include <spdlog/spdlog.h>

namespace zfleet::broker {

namespace {

// Finished tasks pruned per loop turn at most, so retention never stalls
// dispatch behind a long delete.
constexpr std::size_t kPruneBudget = 4096;

std::uint64_t seed_of(std::uint64_t configured) {
  if (configured != 0) return configured;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

Broker::Broker(BrokerSettings settings, const Clock& clock, TaskStore& store)
    : settings_(std::move(settings)),
      clock_(clock),
      store_(store),
      queue_(settings_.default_limit),
      workers_(settings_.heartbeat),
      leases_(store_, workers_),
      idempotency_(settings_.idempotency_window_ms),
      result_waiters_(settings_.max_waiters),
      rng_(seed_of(settings_.rng_seed)),
      policies_(settings_.retry_defaults),
      retention_(settings_.retention_count, settings_.retention_age_ms),
      started_at_(clock.now()),
      next_heartbeat_(clock.now() + settings_.heartbeat) {
  for (const auto& [project, limit] : settings_.limits)
    queue_.set_limit(project, limit);
  recover();
}

void Broker::send(Peer peer, const std::string& identity, std::string_view command,
                  std::string body, std::uint64_t task_id) {
  outbox_.push_back(Outgoing{peer, identity, command, std::move(body), task_id});
}

void Broker::attach_events(const EventSink* publisher, std::string endpoint) {
  publisher_ = publisher;
  events_attached_ = true;
  events_endpoint_ = std::move(endpoint);
}

bool Broker::wants_event(std::string_view topic) const {
  if (!events_attached_) return true;
  return publisher_ != nullptr && publisher_->wants(topic);
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
  const auto command = wire::find_command(m.command, wire::Direction::kClientToBroker);
  const ClientCommand* row = command ? find_client_command(*command) : nullptr;
  if (row == nullptr) {
    ++stats_.unknown_commands;
    return reply_error(Peer::kClient, m.identity, msg::peek_req(root), ErrorCode::kUnknownCommand,
                       "unknown command '" + m.command.substr(0, proto::kMaxCommandBytes) + "'");
  }
  if (row->writes_journal && refuse_if_storage_down(m.identity, root)) return;
  row->handle(*this, m.identity, root);
}

void Broker::on_worker(const frames::Received& m) {
  codec::DecodeError error;
  auto body = codec::parse_body(m.body, error);
  if (!body) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kWorker, m.identity, 0, error.code, error.message);
  }
  const msgpack::object& root = body->root();
  const auto command = wire::find_command(m.command, wire::Direction::kWorkerToBroker);
  const WorkerCommand* row = command ? find_worker_command(*command) : nullptr;
  if (row == nullptr) {
    ++stats_.unknown_commands;
    return reply_error(Peer::kWorker, m.identity, 0, ErrorCode::kUnknownCommand,
                       "unknown command '" + m.command.substr(0, proto::kMaxCommandBytes) + "'");
  }
  if (!row->needs_worker) return row->handle(*this, m.identity, nullptr, root);
  WorkerRecord* w = workers_.find(m.identity);
  if (w == nullptr) {
    // Not registered (never, or expired since): it must send READY again.
    ++stats_.unknown_worker_messages;
    if (row->command == wire::Command::Disconnect) return;
    return reply_error(Peer::kWorker, m.identity, 0, ErrorCode::kUnknownWorker, "send READY first");
  }
  workers_.touch(*w, clock_.now());
  row->handle(*this, m.identity, w, root);
}

void Broker::reply_pong(const std::string& identity, std::uint64_t req) {
  msg::PongReply pong;
  pong.req = req;
  pong.version = ZFLEET_VERSION;
  pong.uptime_ms = static_cast<std::uint64_t>((clock_.now() - started_at_).count());
  pong.events = events_endpoint_;
  send(Peer::kClient, identity, proto::cmd::kPong, msg::encode(pong));
}

void Broker::credit(const std::string& identity, WorkerRecord& w, const msgpack::object& body) {
  msg::Credit credit;
  if (auto e = msg::decode(body, credit)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kWorker, identity, 0, e->code, e->message);
  }
  workers_.add_credit(w, credit.credit);
}

void Broker::prepare_turn() {
  // A dispatch is an attempt number the journal must record first.
  if (!storage_.degraded) dispatch();
  prune(kPruneBudget);
}

void Broker::on_timer() {
  const TimePoint now = clock_.now();
  for (const auto& identity : workers_.expired(now)) {
    ++stats_.workers_expired;
    lose_worker(identity, "missed heartbeats");
  }
  if (now >= next_heartbeat_) {
    const std::string body = msg::encode(msg::Heartbeat{});
    for (const auto& [identity, w] : workers_.all()) {
      send(Peer::kWorker, identity, proto::cmd::kHeartbeat, body);
    }
    next_heartbeat_ = now + settings_.heartbeat;
    idempotency_.prune(clock_.wall_ms(), kPruneBudget);
  }
  promote_due();
  for (const auto& w : result_waiters_.expire(now)) {
    if (const Task* task = store_.find(w.task_id)) {
      send(Peer::kClient, w.identity, proto::cmd::kResultReply,
           msg::encode(msg::TaskReply{w.req, task->view(true)}));
    } else {
      reply_error(Peer::kClient, w.identity, w.req, ErrorCode::kNotFound, "no such task");
    }
  }
}

TimePoint Broker::next_deadline() const {
  const TimePoint now = clock_.now();
  TimePoint next = next_heartbeat_;
  if (auto expiry = workers_.next_expiry(); expiry && *expiry < next) next = *expiry;
  if (auto wake = result_waiters_.next_deadline(); wake && *wake < next) next = *wake;
  if (auto due = delays_.next_due_ms()) {
    const TimePoint at = now + Millis{std::max<std::int64_t>(0, *due - clock_.wall_ms())};
    if (at < next) next = at;
  }
  if (storage_.degraded && storage_.retry_at < next) next = storage_.retry_at;
  return next;
}

void Broker::on_undeliverable(const Outgoing& out) {
  ++stats_.undeliverable;
  if (out.peer != Peer::kWorker || out.task_id == 0) return;
  // A TASK that never left: the worker is gone or flooded; requeue at once
  // rather than waiting for its heartbeats to lapse. It never ran, so its
  // attempt does not count against the retry budget.
  Task* task = store_.find(out.task_id);
  if (task == nullptr || task->state != msg::TaskState::kRunning ||
      task->worker_identity != out.identity) {
    return;
  }
  if (WorkerRecord* w = workers_.find(out.identity)) workers_.unlease(*w, task->id);
  queue_.release(task->spec.project);
  ++task->retry_base;
  requeue(*task, "undeliverable");
  ++stats_.tasks_requeued;
}

}  // namespace zfleet::broker
