// Broker: the task lifecycle. Recovery from the store at start-up, queueing
// and scheduling, the retry decision when an attempt ends, final states,
// dispatch, promotion of delayed tasks and retention.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker.hpp"

namespace zfleet::broker {

void Broker::recover() {
  for (const auto& p : store_.projects()) {
    queue_.set_limit(p.name, p.limit);
    policies_.set(p.name, p.policy);
  }
  store_.for_each([&](Task& t) {
    if (!t.spec.idempotency_key.empty()) {
      idempotency_.add(t.spec.idempotency_key, t.id, t.submitted_at_ms);
    }
    switch (t.state) {
      case msg::TaskState::kRunning:
        // Its worker may still run it and will report it when it reconnects
        // (then it is adopted); until then it waits in the queue like any
        // other. A broker restart is not the task's failure: not counted.
        ++t.retry_base;
        t.worker_identity.clear();
        ++stats_.tasks_requeued;
        [[fallthrough]];
      case msg::TaskState::kQueued:
        ++unfinished_;
        ++stats_.tasks_recovered;
        enqueue(t, false);
        break;
      case msg::TaskState::kScheduled:
        ++unfinished_;
        ++stats_.tasks_recovered;
        delays_.push(t.not_before_ms, t.id);
        break;
      default:  // final
        queue_.record_final(t.spec.project, t.state);
        if (t.state == msg::TaskState::kDead) dead_.add(t.id);
        // A journal of format 1 did not record the broker's moment: the
        // shown one is the best left, never later than now.
        if (t.ended_at_ms == 0) t.ended_at_ms = std::min(t.finished_at_ms, clock_.wall_ms());
        retention_.add(t.id, t.ended_at_ms);
        break;
    }
  });
  retention_.sort_by_end();
  if (unfinished_ > 0 || retention_.size() > 0) {
    spdlog::info("recovered {} unfinished and {} finished tasks from the journal", unfinished_,
                 retention_.size());
  }
}

void Broker::enqueue(Task& task, bool front) {
  forget_live(task);
  task.state = msg::TaskState::kQueued;
  task.worker_identity.clear();
  task.not_before_ms = 0;
  store_.saved(task);
  if (front) {
    queue_.push_front(task.spec.project, task.spec.priority, task.id);
  } else {
    queue_.push(task.spec.project, task.spec.priority, task.id);
  }
}

void Broker::requeue(Task& task, std::string_view reason) {
  msg::Event event;
  event.kind = "requeued";
  event.reason = std::string(reason);
  emit_task_event(task, std::move(event));
  enqueue(task, true);
}

void Broker::schedule(Task& task, std::int64_t due_ms) {
  forget_live(task);
  task.state = msg::TaskState::kScheduled;
  task.worker_identity.clear();
  task.not_before_ms = due_ms;
  store_.saved(task);
  delays_.push(due_ms, task.id);
}

void Broker::end_attempt(Task& task, msg::Outcome outcome, std::optional<Ending> ending_override) {
  if (outcome.started_at_ms != 0) task.started_at_ms = outcome.started_at_ms;
  if (task.state == msg::TaskState::kCancelled) {
    // Cancelled while running: the final state and the project slot were
    // settled at cancel time; this only records how the attempt ended.
    task.worker_identity.clear();
    task.outcome = std::move(outcome);
    store_.saved(task);
    forget_live(task);
    return;
  }
  queue_.release(task.spec.project);
  const Ending ending = ending_override.value_or(classify(outcome));
  task.outcome = std::move(outcome);
  const std::string_view why = ending == Ending::kSuccess ? "" : ending_name(ending);
  if (ending == Ending::kSuccess) return finish(task, msg::TaskState::kSucceeded);
  if (ending == Ending::kCancelled) return finish(task, msg::TaskState::kCancelled, why);
  const ResolvedPolicy policy = policies_.resolve_for(task.spec.project, task.spec.retry);
  if (!policy.retries(ending)) return finish(task, msg::TaskState::kFailed, why);
  const std::uint32_t used = task.attempts - std::min(task.attempts, task.retry_base);
  if (used >= policy.max_attempts) return finish(task, msg::TaskState::kDead, why);
  ++stats_.tasks_retried;
  if (ending == Ending::kLost) {
    // Not the task's fault, most likely: run it again at once, first in line.
    requeue(task, why);
    return;
  }
  const std::uint64_t delay = backoff_delay_ms(policy, task.attempts + 1, rng_);
  msg::Event event;
  event.kind = "retrying";
  event.reason = std::string(why);
  event.message =
      describe_outcome(*task.outcome) + "; next attempt in " + std::to_string(delay) + " ms";
  emit_task_event(task, std::move(event));
  schedule(task, clock_.wall_ms() + static_cast<std::int64_t>(delay));
}

void Broker::finish(Task& task, msg::TaskState state, std::string_view reason) {
  forget_live(task);
  task.state = state;
  task.worker_identity.clear();
  task.ended_at_ms = clock_.wall_ms();
  task.finished_at_ms = task.ended_at_ms;
  if (task.outcome && task.outcome->finished_at_ms != 0 && state != msg::TaskState::kCancelled) {
    task.finished_at_ms = task.outcome->finished_at_ms;
  }
  store_.saved(task);
  queue_.record_final(task.spec.project, state);
  switch (state) {
    case msg::TaskState::kSucceeded:
      ++stats_.tasks_succeeded;
      break;
    case msg::TaskState::kFailed:
      ++stats_.tasks_failed;
      break;
    case msg::TaskState::kDead:
      ++stats_.tasks_dead;
      dead_.add(task.id);
      break;
    case msg::TaskState::kCancelled:
      ++stats_.tasks_cancelled;
      break;
    default:
      break;
  }
  --unfinished_;
  msg::Event event;
  event.kind = "finished";
  event.state = std::string(msg::state_name(state));
  event.reason = std::string(reason);
  if (task.outcome) {
    if (!task.outcome->killed_by.empty()) event.reason = task.outcome->killed_by;
    event.message = describe_outcome(*task.outcome);
    event.percent = task.outcome->progress;
    event.rss_kb = task.outcome->peak_rss_kb;
    event.cpu_ms = task.outcome->user_cpu_ms + task.outcome->sys_cpu_ms;
  }
  emit_task_event(task, std::move(event));
  answer_waiters(task);
  retention_.add(task.id, task.ended_at_ms);
}

void Broker::dispatch() {
  // Tasks a connected worker could run but none with credit now: put back at
  // the head of their queues after this pass, in the order they were taken.
  // Bounded, so a long run of them costs a turn no more than this.
  constexpr std::size_t kMaxSkippedPerTurn = 256;
  std::vector<const Task*> skipped;
  // Pair queued tasks with worker credit until one of them runs out.
  while (queue_.queued() > 0 && skipped.size() < kMaxSkippedPerTurn) {
    WorkerRecord* w = workers_.next_with_credit();
    if (w == nullptr) break;
    auto next = queue_.pop();
    if (!next) break;  // everything queued belongs to projects at their limit
    Task* task = store_.find(next->id);
    if (task == nullptr || task->state != msg::TaskState::kQueued) {
      queue_.release(next->project);  // no longer runnable
      continue;
    }
    if (!can_run(*w, task->spec)) {
      // The unconstrained path never gets here: every worker runs everything.
      w = workers_.next_with_credit_where(
          [&](const WorkerRecord& other) { return can_run(other, task->spec); });
      if (w == nullptr) {
        queue_.release(next->project);
        const auto& all = workers_.all();
        const bool someone_can = std::any_of(all.begin(), all.end(), [&](const auto& entry) {
          return can_run(entry.second, task->spec);
        });
        if (someone_can) {
          skipped.push_back(task);
        } else {
          hold_unplaced(*task);
        }
        continue;
      }
    }
    task->unplaced.clear();
    const std::uint32_t attempt = leases_.grant(*w, *task);
    ++stats_.tasks_dispatched;
    send(Peer::kWorker, w->identity, proto::cmd::kTask,
         msg::encode(msg::TaskAssignment{task->id, attempt, task->spec}), task->id);
  }
  for (auto it = skipped.rbegin(); it != skipped.rend(); ++it) {
    queue_.push_front((*it)->spec.project, (*it)->spec.priority, (*it)->id);
  }
}

void Broker::hold_unplaced(Task& task) {
  task.unplaced = unplaced_reason(task.spec, workers_);
  unplaced_.hold(task.spec, task.id);
  ++stats_.tasks_unplaced;
}

void Broker::release_unplaced(const WorkerRecord& w) {
  if (unplaced_.size() == 0) return;
  auto back = unplaced_.release_if([&](const msg::TaskSpec& spec) { return can_run(w, spec); });
  // Held tasks were queued before anything queued now: back to the head, in order.
  for (auto it = back.rbegin(); it != back.rend(); ++it) {
    Task* task = store_.find(it->id);
    if (task == nullptr || task->state != msg::TaskState::kQueued) continue;
    task->unplaced.clear();
    queue_.push_front(it->project, it->priority, it->id);
  }
}

void Broker::promote_due() {
  delays_.pop_due(clock_.wall_ms(), [&](std::uint64_t id, std::int64_t due_ms) {
    Task* task = store_.find(id);
    // Stale entries: cancelled, or rescheduled to another moment since.
    if (task == nullptr || task->state != msg::TaskState::kScheduled ||
        task->not_before_ms != due_ms) {
      return;
    }
    enqueue(*task, false);
  });
}

void Broker::prune(std::size_t budget) {
  for (std::uint64_t id : retention_.prune(store_, clock_.wall_ms(), budget)) {
    dead_.remove(id);  // listed only if it ended dead
    ++stats_.results_evicted;
  }
}

}  // namespace zfleet::broker
