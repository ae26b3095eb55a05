// Broker: the worker-facing commands (READY, STARTED, DONE, FAILED, REJECT).
// Results are fenced: only the current attempt's holder may change a task;
// anything else is counted as stale and dropped, but the credit it returns
// is always honoured, because the worker's slot is free either way.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker.hpp"

namespace zfleet::broker {

void Broker::ready(const std::string& identity, const msgpack::object& body) {
  msg::Ready r;
  if (auto e = msg::decode(body, r)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kWorker, identity, 0, e->code, e->message);
  }
  const bool known = workers_.find(identity) != nullptr;
  if (known) {
    // A re-registration (the worker reconnected): leases it no longer
    // reports running were lost with its previous connection.
    WorkerRecord& old = *workers_.find(identity);
    std::vector<std::uint64_t> lost;
    for (std::uint64_t id : old.leases) {
      const bool reported = std::any_of(r.running.begin(), r.running.end(), [&](const auto& l) {
        const Task* t = store_.find(id);
        return l.task_id == id && t != nullptr && t->attempts == l.attempt;
      });
      if (!reported) lost.push_back(id);
    }
    for (std::uint64_t id : lost) {
      old.leases.erase(id);
      if (Task* task = store_.find(id); task != nullptr &&
                                        task->state == msg::TaskState::kRunning &&
                                        task->worker_identity == identity) {
        requeue(*task);
      }
    }
  } else {
    ++stats_.workers_registered;
  }
  WorkerRecord& w = workers_.upsert(identity, r, clock_.now());
  spdlog::info("worker {} {} from {} (pid {}): {} slots, {} credit", w.name,
               known ? "re-registered" : "registered", w.hostname, w.pid, w.slots, w.credit);
  send(Peer::kWorker, identity, proto::cmd::kWelcome,
       msg::encode(msg::Welcome{static_cast<std::uint32_t>(settings_.heartbeat.count())}));
}

Task* Broker::current_lease(WorkerRecord& w, std::uint64_t task_id, std::uint32_t attempt) {
  Task* task = store_.find(task_id);
  if (task == nullptr || task->state != msg::TaskState::kRunning ||
      task->worker_identity != w.identity || task->attempts != attempt) {
    ++stats_.results_stale;
    return nullptr;
  }
  return task;
}

void Broker::started(WorkerRecord& w, const msgpack::object& body) {
  msg::Started s;
  if (auto e = msg::decode(body, s)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kWorker, w.identity, 0, e->code, e->message);
  }
  Task* task = store_.find(s.task_id);
  if (task == nullptr || task->state != msg::TaskState::kRunning ||
      task->worker_identity != w.identity || task->attempts != s.attempt) {
    return;  // a late STARTED of an attempt already ended or moved
  }
  task->started_at_ms = s.started_at_ms != 0 ? s.started_at_ms : clock_.wall_ms();
  store_.saved(*task);
}

void Broker::done(WorkerRecord& w, const msgpack::object& body) {
  msg::Done d;
  if (auto e = msg::decode(body, d)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kWorker, w.identity, 0, e->code, e->message);
  }
  Task* task = current_lease(w, d.task_id, d.attempt);
  workers_.unlease(w, d.task_id);
  workers_.add_credit(w, d.credit);
  if (task == nullptr) return;
  ++w.tasks_done;
  finish(*task, std::move(d.outcome));
}

void Broker::failed(WorkerRecord& w, const msgpack::object& body) {
  msg::Failed f;
  if (auto e = msg::decode(body, f)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kWorker, w.identity, 0, e->code, e->message);
  }
  Task* task = current_lease(w, f.task_id, f.attempt);
  workers_.unlease(w, f.task_id);
  workers_.add_credit(w, f.credit);
  if (task == nullptr) return;
  ++w.tasks_done;
  msg::Outcome outcome;
  outcome.error = f.message.empty() ? f.reason : f.reason + ": " + f.message;
  outcome.finished_at_ms = clock_.wall_ms();
  finish(*task, std::move(outcome));
}

void Broker::reject(WorkerRecord& w, const msgpack::object& body) {
  msg::Reject r;
  if (auto e = msg::decode(body, r)) {
    ++stats_.bad_bodies;
    return reply_error(Peer::kWorker, w.identity, 0, e->code, e->message);
  }
  Task* task = current_lease(w, r.task_id, r.attempt);
  workers_.unlease(w, r.task_id);
  workers_.add_credit(w, r.credit);
  if (task == nullptr) return;
  ++stats_.tasks_rejected_by_workers;
  requeue(*task);
}

}  // namespace zfleet::broker
