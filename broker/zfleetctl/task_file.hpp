// Task files for `submit --file`: JSON lines, one task object per line:
//   {"argv": [...], "type": "shell", "project": "p", "priority": 5,
//    "env": {"K": "V"}, "cwd": "sub/dir", "stdin": "text", "timeout_ms": 0,
//    "grace_ms": 0, "output_cap": 65536, "max_attempts": 3, "backoff_ms": 500,
//    "backoff_max_ms": 60000, "retry_on": ["exit", "lost"],
//    "not_before_ms": 1795559929699 | "delay_ms": 5000,
//    "idempotency_key": "order-42", "attach": ["job.sh", "in.csv=input.csv"]}
// Only "argv" is required (not even that for "type": "noop"); a key a line
// leaves out takes its value from
// `defaults` (the flags given with --file), a key it sets replaces that value
// whole ("env" included). Unknown keys are errors, so a misspelt field is
// caught instead of silently falling back to a default. Every task is also
// checked with msg::validate(), so the broker sees only specs it accepts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/messages.hpp"

namespace zfleet::ctl {

// Parses one line into `out`; returns why it is not a task otherwise.
// "delay_ms" counts from `now_ms` (Unix ms), the time the file is read.
std::optional<std::string> parse_task_line(std::string_view text, const msg::TaskSpec& defaults,
                                           std::int64_t now_ms, msg::TaskSpec& out);

struct NumberedTask {
  std::size_t line = 0;  // 1-based
  msg::TaskSpec spec;
};

struct LineError {
  std::size_t line = 0;
  std::string message;
};

struct TaskFile {
  std::vector<NumberedTask> tasks;
  std::vector<LineError> errors;
};

// Reads every line of `in`; blank lines are skipped without an error.
TaskFile read_task_file(std::istream& in, const msg::TaskSpec& defaults, std::int64_t now_ms);

}  // namespace zfleet::ctl
