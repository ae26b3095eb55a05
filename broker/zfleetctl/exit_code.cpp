// Exit statuses and failure lines; see exit_code.hpp.
#include "broker/zfleetctl/exit_code.hpp"

namespace zfleet::ctl {

namespace {

int severity(ExitCode code) {
  switch (code) {
    case ExitCode::kOk:
      return 0;
    case ExitCode::kNotFinal:
      return 1;
    case ExitCode::kFailed:
      return 2;
    case ExitCode::kUsage:
      return 3;
    case ExitCode::kBrokerError:
      return 4;
    case ExitCode::kUnreachable:
      return 5;
  }
  return 0;
}

}  // namespace

ExitCode exit_for_error(const ClientError& error) {
  switch (error.kind) {
    case ClientError::Kind::kTimeout:
      return ExitCode::kUnreachable;
    case ClientError::Kind::kBroker:
      return ExitCode::kBrokerError;
    case ClientError::Kind::kProtocol:
      return ExitCode::kFailed;
  }
  return ExitCode::kFailed;
}

std::string error_line(const ClientError& error, std::string_view endpoint) {
  switch (error.kind) {
    case ClientError::Kind::kTimeout:
      return "zfleetctl: cannot reach the broker at " + std::string(endpoint) + ": " +
             error.message;
    case ClientError::Kind::kBroker:
      return "zfleetctl: broker error " + std::string(error_name(error.code)) + ": " +
             error.message;
    case ClientError::Kind::kProtocol:
      return "zfleetctl: unreadable reply from the broker at " + std::string(endpoint) + ": " +
             error.message;
  }
  return "zfleetctl: " + error.message;
}

ExitCode exit_for_task(const msg::TaskView& task) {
  switch (task.state) {
    case msg::TaskState::kSucceeded:
      return ExitCode::kOk;
    case msg::TaskState::kFailed:
    case msg::TaskState::kDead:
    case msg::TaskState::kCancelled:
      return ExitCode::kFailed;
    case msg::TaskState::kQueued:
    case msg::TaskState::kRunning:
    case msg::TaskState::kScheduled:
      return ExitCode::kNotFinal;
  }
  return ExitCode::kFailed;
}

int task_exit_status(const msg::TaskView& task) {
  if (!msg::is_final(task.state)) return as_int(ExitCode::kNotFinal);
  if (!task.outcome) return as_int(exit_for_task(task));
  const msg::Outcome& o = *task.outcome;
  // Cancelled is the operator's doing, not the task's: its kill signal is
  // not the task's status.
  if (task.state == msg::TaskState::kCancelled || o.cancelled) return as_int(ExitCode::kFailed);
  if (!o.error.empty()) return as_int(ExitCode::kFailed);
  // Checked before the signal: a timed-out task usually ends by the worker's
  // SIGTERM or SIGKILL, and "it timed out" is the useful answer.
  if (o.timed_out) return kTimedOutStatus;
  int status = as_int(exit_for_task(task));
  if (o.signal) {
    status = kSignalStatusBase + *o.signal;
  } else if (o.exit_code) {
    status = *o.exit_code;
  }
  // A process status is 0-255; anything else, or a failed task that reports
  // 0, must still not look like success to the caller's shell.
  if (status < 0 || status > 255) return as_int(ExitCode::kFailed);
  if (status == 0 && task.state != msg::TaskState::kSucceeded) return as_int(ExitCode::kFailed);
  return status;
}

ExitCode more_severe(ExitCode a, ExitCode b) {
  return severity(a) >= severity(b) ? a : b;
}

}  // namespace zfleet::ctl
