// Retry classification, policy resolution and backoff; see retry_policy.hpp.
#include "broker/retry_policy.hpp"

#include <algorithm>

namespace zfleet::broker {

std::string_view ending_name(Ending e) {
  switch (e) {
    case Ending::kSuccess:
      return "success";
    case Ending::kExit:
      return "exit";
    case Ending::kSignal:
      return "signal";
    case Ending::kTimeout:
      return "timeout";
    case Ending::kLost:
      return "lost";
    case Ending::kError:
      return "error";
    case Ending::kSpawn:
      return "spawn";
    case Ending::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

Ending classify(const msg::Outcome& o) {
  if (o.cancelled) return Ending::kCancelled;
  if (!o.error.empty()) return Ending::kError;
  if (o.timed_out) return Ending::kTimeout;
  if (o.signal) return Ending::kSignal;
  if (o.exit_code && *o.exit_code != 0) return Ending::kExit;
  if (o.exit_code) return Ending::kSuccess;
  return Ending::kError;  // neither exit code nor signal: the attempt never really ran
}

std::string describe_outcome(const msg::Outcome& o) {
  // The worker's own words name the limit ("killed: memory limit 64 MiB").
  if (!o.message.empty() && !o.cancelled) return o.message;
  if (!o.killed_by.empty()) return "killed by the worker (" + o.killed_by + ")";
  if (o.cancelled) return "cancelled";
  if (!o.error.empty()) return o.error;
  if (o.timed_out) return "timed out";
  if (o.signal) return "signal " + std::to_string(*o.signal);
  if (o.exit_code) return "exit code " + std::to_string(*o.exit_code);
  return "";
}

bool ResolvedPolicy::retries(Ending e) const {
  const std::string_view name = ending_name(e);
  return std::find(retry_on.begin(), retry_on.end(), name) != retry_on.end();
}

ResolvedPolicy resolve(const msg::RetryPolicy& task, const msg::RetryPolicy& project,
                       const ResolvedPolicy& defaults) {
  ResolvedPolicy p = defaults;
  auto pick = [](auto task_value, auto project_value, auto& out) {
    if (task_value != 0) {
      out = task_value;
    } else if (project_value != 0) {
      out = project_value;
    }
  };
  pick(task.max_attempts, project.max_attempts, p.max_attempts);
  pick(task.backoff_ms, project.backoff_ms, p.backoff_ms);
  pick(task.backoff_max_ms, project.backoff_max_ms, p.backoff_max_ms);
  if (!task.retry_on.empty()) {
    p.retry_on = task.retry_on;
  } else if (!project.retry_on.empty()) {
    p.retry_on = project.retry_on;
  }
  if (p.max_attempts == 0) p.max_attempts = 1;
  return p;
}

std::uint64_t backoff_delay_ms(const ResolvedPolicy& p, std::uint32_t next_attempt,
                               std::mt19937_64& rng) {
  if (p.backoff_ms == 0) return 0;
  const std::uint32_t doublings = next_attempt >= 2 ? std::min(next_attempt - 2, 40U) : 0;
  std::uint64_t step = p.backoff_ms;
  for (std::uint32_t i = 0; i < doublings && step < p.backoff_max_ms; ++i)
    step *= 2;
  step = std::min(step, std::max(p.backoff_max_ms, p.backoff_ms));
  std::uniform_int_distribution<std::uint64_t> jitter(step / 2, step);
  return jitter(rng);
}

}  // namespace zfleet::broker
