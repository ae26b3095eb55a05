// zfleetctl's exit statuses and the stderr line for each failure. Scripts
// branch on these numbers, so they never change meaning:
//   0 ok, 1 a task or command failed, 2 usage error, 3 task not final,
//   4 broker unreachable (timeout), 5 the broker answered with an error.
// `submit --wait` instead exits with the task's own status, as timeout(1)
// does: the exit code, 128+signal, or 124 when the task timed out.
#pragma once

#include <string>
#include <string_view>

#include "common/client.hpp"
#include "common/messages.hpp"

namespace zfleet::ctl {

enum class ExitCode : int {
  kOk = 0,
  kFailed = 1,
  kUsage = 2,
  kNotFinal = 3,
  kUnreachable = 4,
  kBrokerError = 5,
};

inline constexpr int kTimedOutStatus = 124;  // as timeout(1)
inline constexpr int kSignalStatusBase = 128;

constexpr int as_int(ExitCode code) {
  return static_cast<int>(code);
}

ExitCode exit_for_error(const ClientError& error);

// "zfleetctl: cannot reach the broker at ENDPOINT: ..." and the like, without
// a trailing newline.
std::string error_line(const ClientError& error, std::string_view endpoint);

// For `result`: 0 succeeded, 1 failed / dead / cancelled, 3 not final yet.
ExitCode exit_for_task(const msg::TaskView& task);

// For `submit --wait`: the task's own status; 1 when it could not run at all,
// was cancelled, or failed without an outcome; 3 when it is not final (queued,
// scheduled, running). A dead task reports its last attempt's status.
int task_exit_status(const msg::TaskView& task);

// The more severe of two, for commands that do many things (submit --file):
// unreachable > broker error > usage > failed > not final > ok.
ExitCode more_severe(ExitCode a, ExitCode b);

}  // namespace zfleet::ctl
