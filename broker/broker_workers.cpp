// Broker: the worker-facing commands (READY, STARTED, DONE, FAILED, REJECT)
// and losing a worker. Results are fenced: only the current attempt's holder
// may end it; anything else is counted as stale and dropped, but the credit
// it returns is always honoured, because the worker's slot is free either way.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker.hpp"

namespace zfleet::broker {

void Broker::ready(const std::string& identity, const msgpack::object& body) {
  msg::Ready r;
  if (!decode_or_reply(Peer::kWorker, identity, body, r)) return;
  if (!admit_worker_id(identity, r)) return;
  const bool known = workers_.find(identity) != nullptr;
  if (!known) ++stats_.workers_registered;
  WorkerRecord& w = workers_.upsert(identity, r, clock_.now());
  // Before reconcile(): a held task this worker still runs must be in the
  // queue to be adopted.
  release_unplaced(w);
  reconcile(w, r);
  spdlog::info("worker {} {} from {} (pid {}): {} slots, {} running, {} credit", w.name,
               known ? "re-registered" : "registered", w.hostname, w.pid, w.slots, w.leases.size(),
               w.credit);
  send(Peer::kWorker, identity, proto::cmd::kWelcome,
       msg::encode(msg::Welcome{static_cast<std::uint32_t>(settings_.heartbeat.count())}));
}

// A worker id names one worker process at a time. A READY under an id that
// another connection holds is refused while that one is alive, unless it
// comes from the same worker restarted (it names the old connection in
// `replaces`); the old registration then ends, its attempts lost.
bool Broker::admit_worker_id(const std::string& identity, const msg::Ready& r) {
  WorkerRecord* holder = workers_.find_by_name(r.worker_id);
  if (holder == nullptr || holder->identity == identity) return true;
  const std::string old = holder->identity;
  if (!r.replaces.empty() && r.replaces == old) {
    ++stats_.workers_replaced;
    lose_worker(old, "replaced by its own restart");
    return true;
  }
  const TimePoint now = clock_.now();
  if (!workers_.alive(*holder, now)) {
    lose_worker(old, "silent, and its id registered again");
    return true;
  }
  ++stats_.workers_refused_duplicate;
  const auto seen_ms = static_cast<long long>((now - holder->last_seen).count());
  std::string why = "worker id '" + r.worker_id + "' is in use by the worker on host " +
                    holder->hostname + " (pid " + std::to_string(holder->pid) + "), heard " +
                    std::to_string(seen_ms) +
                    " ms ago; stop that worker or give this one another --id";
  spdlog::warn("refused READY from {} (pid {}): {}", r.hostname, r.pid, why);
  reply_error(Peer::kWorker, identity, 0, ErrorCode::kWorkerIdInUse, std::move(why));
  return false;
}

// What the worker reports running is checked against what the broker holds:
//  - the current attempt, leased to this worker: kept;
//  - the current attempt of a task waiting in the queue (its worker was
//    given up for lost, or the broker restarted): adopted, not run twice;
//  - anything else: the worker is told to drop it (CANCEL).
// Leases the broker holds for this worker that it did not report were lost
// with its previous connection, and end as "lost" attempts.
void Broker::reconcile(WorkerRecord& w, const msg::Ready& ready) {
  const std::vector<msg::LeaseRef>& reported = ready.running;
  auto is_reported = [&](std::uint64_t id, std::uint32_t attempt) {
    return std::any_of(reported.begin(), reported.end(),
                       [&](const auto& l) { return l.task_id == id && l.attempt == attempt; });
  };
  std::vector<std::uint64_t> lost;
  for (std::uint64_t id : w.leases) {
    const Task* t = store_.find(id);
    if (t == nullptr || !is_reported(id, t->attempts)) lost.push_back(id);
  }
  for (std::uint64_t id : lost) {
    workers_.unlease(w, id);
    Task* task = store_.find(id);
    if (task == nullptr || task->worker_identity != w.identity) continue;
    ++stats_.tasks_requeued;
    msg::Outcome outcome;
    outcome.error = "lost: the worker no longer runs it";
    end_attempt(*task, std::move(outcome), Ending::kLost);
  }
  for (const auto& lease : reported) {
    if (const Task* t = leases_.held(w, lease.task_id, lease.attempt)) {
      leases_.keep(w, *t);
      if (t->state == msg::TaskState::kCancelled) {
        send(Peer::kWorker, w.identity, proto::cmd::kCancel,
             msg::encode(msg::CancelAttempt{t->id, lease.attempt, "cancelled by request"}));
      }
      continue;
    }
    Task* t = store_.find(lease.task_id);
    const bool current = t != nullptr && t->attempts == lease.attempt;
    if (current && t->state == msg::TaskState::kQueued &&
        queue_.remove(t->spec.project, t->spec.priority, t->id)) {
      queue_.adopt(t->spec.project);
      leases_.adopt(w, *t);
      ++stats_.tasks_adopted;
      continue;
    }
    ++stats_.cancels_sent;
    send(Peer::kWorker, w.identity, proto::cmd::kCancel,
         msg::encode(msg::CancelAttempt{lease.task_id, lease.attempt, "not the current attempt"}));
  }
  // The worker's own count of free slots, never more than the leases leave.
  workers_.set_credit(w, ready.credit);
}

Task* Broker::settle_lease(WorkerRecord& w, std::uint64_t task_id, std::uint32_t attempt,
                           std::uint32_t credit) {
  Task* task = leases_.settle(w, task_id, attempt, credit);
  if (task == nullptr) ++stats_.results_stale;
  return task;
}

void Broker::started(WorkerRecord& w, const msgpack::object& body) {
  msg::Started s;
  if (!decode_or_reply(Peer::kWorker, w.identity, body, s)) return;
  Task* task = leases_.held(w, s.task_id, s.attempt);
  if (task == nullptr || task->state != msg::TaskState::kRunning) {
    return;  // a late STARTED of an attempt already ended, cancelled or moved
  }
  // Not saved: the start time is informative, and DONE carries it again.
  task->started_at_ms = s.started_at_ms != 0 ? s.started_at_ms : clock_.wall_ms();
  msg::Event event;
  event.kind = "started";
  event.at_ms = task->started_at_ms;
  event.message = "pid " + std::to_string(s.pid);
  emit_task_event(*task, std::move(event));
}

void Broker::done(WorkerRecord& w, const msgpack::object& body) {
  msg::Done d;
  if (!decode_or_reply(Peer::kWorker, w.identity, body, d)) return;
  Task* task = settle_lease(w, d.task_id, d.attempt, d.credit);
  if (task == nullptr) return;
  ++w.tasks_done;
  end_attempt(*task, std::move(d.outcome));
}

void Broker::failed(WorkerRecord& w, const msgpack::object& body) {
  msg::Failed f;
  if (!decode_or_reply(Peer::kWorker, w.identity, body, f)) return;
  Task* task = settle_lease(w, f.task_id, f.attempt, f.credit);
  if (task == nullptr) return;
  ++w.tasks_done;
  msg::Outcome outcome;
  outcome.finished_at_ms = clock_.wall_ms();
  if (f.reason == proto::fail_reason::kCannotExec) {
    outcome.error = f.message.empty() ? f.reason : f.message;
    return end_attempt(*task, std::move(outcome), Ending::kSpawn);
  }
  outcome.error = f.message.empty() ? f.reason : f.reason + ": " + f.message;
  end_attempt(*task, std::move(outcome));
}

void Broker::reject(WorkerRecord& w, const msgpack::object& body) {
  msg::Reject r;
  if (!decode_or_reply(Peer::kWorker, w.identity, body, r)) return;
  Task* task = settle_lease(w, r.task_id, r.attempt, r.credit);
  if (task == nullptr) return;
  ++stats_.tasks_rejected_by_workers;
  if (task->state == msg::TaskState::kCancelled) {
    task->worker_identity.clear();
    store_.saved(*task);
    forget_live(*task);
    return;
  }
  // Handed back without running (or stopped by a draining worker): not the
  // task's failure, so it does not use up an attempt.
  queue_.release(task->spec.project);
  ++task->retry_base;
  requeue(*task, "rejected");
  ++stats_.tasks_requeued;
}

void Broker::lose_worker(const std::string& identity, std::string_view why) {
  auto w = workers_.remove(identity);
  if (!w) return;
  spdlog::warn("worker {} ({}) lost: {}; {} attempt(s) end as lost", w->name, w->hostname, why,
               w->leases.size());
  for (std::uint64_t id : w->leases) {
    Task* task = store_.find(id);
    if (task == nullptr || task->worker_identity != identity) continue;
    if (task->state == msg::TaskState::kRunning) ++stats_.tasks_requeued;
    msg::Outcome outcome;
    outcome.error = "lost: worker " + w->name + " " + std::string(why);
    end_attempt(*task, std::move(outcome), Ending::kLost);
  }
}

}  // namespace zfleet::broker
