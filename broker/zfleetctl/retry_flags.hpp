// Retry policies on the command line: the flags `submit` and `set-policy`
// share (--max-attempts, --backoff-ms, --backoff-max-ms, --retry-on LIST),
// how they become a msg::RetryPolicy, and the one-cell summary `projects`
// shows. A field left at 0 / empty means "inherit": from the project's policy
// for a task, from the broker's defaults for a project.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/messages.hpp"

namespace zfleet::ctl {

struct RetryFlags {
  std::uint32_t max_attempts = 0;  // attempts in all, the first included
  std::uint64_t backoff_ms = 0;
  std::uint64_t backoff_max_ms = 0;
  std::string retry_on;  // "exit,signal,...", as typed
};

// Splits "exit, timeout" at commas into kinds, checking each against
// msg::kRetryKinds; repeats are dropped, order is kept. Empty text: none.
std::optional<std::string> parse_retry_on(std::string_view text, std::vector<std::string>& out);

// The flags as a policy, with the protocol's limits checked.
std::optional<std::string> build_policy(const RetryFlags& flags, msg::RetryPolicy& out);

// The limits and consistency rules of one policy (also for task-file lines).
std::optional<std::string> check_policy(const msg::RetryPolicy& policy);

// "5 attempts, backoff 1.00 s..1m00s, on exit,timeout"; "-" when every field
// is left to the defaults.
std::string describe_policy(const msg::RetryPolicy& policy);

}  // namespace zfleet::ctl
