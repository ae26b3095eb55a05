// The reactor's handling of each message from the broker: registration
// replies, task intake (start, complete a noop, refuse or report as
// invalid), cancellation and errors. Tasks are routed by kind through the
// ExecutorRegistry; "noop" is the one kind handled here. Part of Reactor (see reactor.hpp);
// split out to keep the loop itself short.
#include <spdlog/spdlog.h>

#include "common/protocol.hpp"
#include "worker/core/reactor.hpp"

namespace zfleet::worker {

void Reactor::dispatch(const frames::Received& message, TimePoint now) {
  namespace cmd = proto::cmd;
  const std::string& command = message.command;
  if (command == cmd::kTask) {
    on_task(message.body);
  } else if (command == cmd::kCancel) {
    on_cancel(message.body, now);
  } else if (command == cmd::kSuspend || command == cmd::kResume) {
    on_suspend(message.body, command == cmd::kSuspend, now);
  } else if (command == cmd::kHeartbeat) {
    // Liveness was already noted; the body carries nothing the worker needs.
  } else if (command == cmd::kWelcome) {
    msg::Welcome welcome;
    if (auto error = msg::decode_bytes(message.body, welcome)) {
      ++counters_.bad_messages;
      spdlog::debug("bad WELCOME: {}", error->message);
      return;
    }
    const bool was_connected = link_.connected();
    link_.on_welcome(now, Millis{welcome.heartbeat_ms});
    if (!was_connected) {
      spdlog::info("registered with broker {} (heartbeat {} ms)", config_.broker,
                   welcome.heartbeat_ms);
    }
    flush_results();
  } else if (command == cmd::kError) {
    msg::ErrorReply error;
    if (auto bad = msg::decode_bytes(message.body, error)) {
      ++counters_.bad_messages;
      spdlog::debug("bad ERROR: {}", bad->message);
      return;
    }
    if (error.code == ErrorCode::kUnknownWorker) {
      spdlog::info("broker does not know this worker; registering again");
      apply(link_.on_unknown_worker(now));
    } else if (error.code == ErrorCode::kWorkerIdInUse) {
      // Not a reason to exit: once the other worker is gone, this one takes
      // its place. Until then a retry costs the broker one refused READY.
      ++counters_.registrations_refused;
      if (counters_.registrations_refused == 1 || counters_.registrations_refused % 30 == 0) {
        spdlog::error("broker refused this worker: {}; retrying every {} s", error.message,
                      kRefusedRetry.count() / 1000);
      }
      apply(link_.on_refused(now, kRefusedRetry));
    } else {
      spdlog::warn("broker error {}: {}", error_name(error.code), error.message);
    }
  } else if (command == cmd::kDisconnect) {
    msg::Disconnect bye;
    msg::decode_bytes(message.body, bye);
    spdlog::warn("broker sent DISCONNECT ({}); registering again after backoff", bye.reason);
    apply(link_.on_disconnect(now));
  } else {
    ++counters_.unknown_commands;
    spdlog::debug("unknown command from broker: {}", command.substr(0, proto::kMaxCommandBytes));
  }
}

void Reactor::on_task(std::string_view body) {
  codec::DecodeError parse_error;
  auto parsed = codec::parse_body(body, parse_error);
  if (!parsed) {
    reply_invalid_task(nullptr, parse_error);
    return;
  }
  msg::TaskAssignment task;
  if (auto error = msg::decode(parsed->root(), task)) {
    reply_invalid_task(&parsed->root(), *error);
    return;
  }
  if (credit_out_ > 0) --credit_out_;
  if (executors().holds(task.task_id, task.attempt)) {
    ++counters_.duplicate_tasks;
    spdlog::debug("task {} attempt {} is already running here", task.task_id, task.attempt);
    return;
  }
  const char* refusal = nullptr;
  if (draining_) {
    refusal = "draining";
  } else if (busy() >= slots_) {
    refusal = "no_free_slot";
  }
  if (refusal != nullptr) {
    ++counters_.tasks_rejected;
    send(proto::cmd::kReject, msg::encode(msg::Reject{task.task_id, task.attempt, 0, refusal}));
    return;
  }
  if (task.spec.type == "noop") {
    complete_noop(task);
    return;
  }

  StartResult started;
  if (Executor* executor = executors().find(task.spec.type)) {
    ++counters_.tasks_by_kind[task.spec.type];
    started = executor->start(task);
  } else {
    // validate(TaskSpec) admits only kinds some executor runs.
    started.error = "this worker runs no " + task.spec.type + " tasks";
    started.permanent = true;
  }
  if (!started.started) {
    ++counters_.tasks_failed;
    spdlog::info("task {} attempt {} could not start: {}", task.task_id, task.attempt,
                 started.error);
    PendingResult r;
    r.kind = ResultKind::kFailed;
    r.task_id = task.task_id;
    r.attempt = task.attempt;
    r.reason = std::string(started.permanent ? proto::fail_reason::kCannotExec
                                             : proto::fail_reason::kSpawnFailed);
    r.message = started.error.substr(0, proto::kMaxErrorMessageBytes);
    outbox_.push(std::move(r));
    flush_results();
    return;
  }
  ++counters_.tasks_started;
  send(proto::cmd::kStarted,
       msg::encode(msg::Started{task.task_id, task.attempt, started.pid, started.started_at_ms}));
}

// A noop measures the fleet's own overhead, so it costs only its DONE: no
// STARTED, no directory, no pipes, no child.
void Reactor::complete_noop(const msg::TaskAssignment& task) {
  ++counters_.noop_tasks;
  ++counters_.tasks_done;
  PendingResult r;
  r.kind = ResultKind::kDone;
  r.task_id = task.task_id;
  r.attempt = task.attempt;
  r.outcome.exit_code = 0;
  r.outcome.started_at_ms = r.outcome.finished_at_ms = clock_.wall_ms();
  outbox_.push(std::move(r));
  flush_results();
}

// CANCEL: stop the attempt if it runs here; if it already ended and its
// result waits in the outbox, drop the result (the broker no longer wants
// it) but still hand the attempt back with its slot's credit; otherwise
// there is nothing to do.
void Reactor::on_cancel(std::string_view body, TimePoint now) {
  msg::CancelAttempt cancel;
  if (auto error = msg::decode_bytes(body, cancel)) {
    ++counters_.bad_messages;
    spdlog::debug("bad CANCEL: {}", error->message);
    return;
  }
  if (executors().cancel(cancel.task_id, cancel.attempt, now)) {
    ++counters_.tasks_cancelled;
    spdlog::info("task {} attempt {} cancelled by the broker ({}): stopping it", cancel.task_id,
                 cancel.attempt, cancel.reason);
    return;
  }
  // An attempt that ended in this loop turn still has its result in its executor.
  collect_finished();
  if (outbox_.drop(cancel.task_id, cancel.attempt)) {
    ++counters_.results_cancelled;
    spdlog::info("task {} attempt {} cancelled by the broker ({}) after it ended: result dropped",
                 cancel.task_id, cancel.attempt, cancel.reason);
    flush_results();
    return;
  }
  ++counters_.cancels_ignored;
  spdlog::debug("CANCEL for task {} attempt {}, which is not held here: ignored", cancel.task_id,
                cancel.attempt);
}

void Reactor::reply_invalid_task(const msgpack::object* root, const codec::DecodeError& error) {
  ++counters_.bad_messages;
  spdlog::debug("invalid TASK: {}", error.message);
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  if (root != nullptr) {
    codec::FieldReader r(*root);
    r.u64("task_id", task_id, codec::Need::kRequired);
    r.u32("attempt", attempt, codec::Need::kRequired);
    if (r.ok()) {
      // The broker leased a slot for it; FAILED returns it and ends the attempt.
      PendingResult f;
      f.kind = ResultKind::kFailed;
      f.task_id = task_id;
      f.attempt = attempt;
      f.reason = "invalid_task";
      f.message = error.message.substr(0, proto::kMaxErrorMessageBytes);
      outbox_.push(std::move(f));
      flush_results();
      return;
    }
  }
  // Unattributable: give back the credit the broker spent on it.
  if (!draining_) send(proto::cmd::kCredit, msg::encode(msg::Credit{1}));
}

}  // namespace zfleet::worker
