// Human renderings of tasks: the key/value blocks of `status` and `result`,
// the one-word-ish outcome ("exit 3", "killed by SIGKILL (9)", "timed out",
// "cancelled"), the status line `submit --wait` prints on stderr, and the
// table of `dlq list`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/zfleetctl/table.hpp"
#include "common/messages.hpp"

namespace zfleet::ctl {

std::string describe_outcome(const msg::Outcome& outcome);

// `now_ms` (Unix ms) turns timestamps into ages ("... (3.20 s ago)").
Fields status_fields(const msg::TaskView& task, std::int64_t now_ms);

// The outcome block without the output tails; those are printed after it.
Fields result_fields(const msg::TaskView& task);

// A module's or http task's result as one line of JSON (msgpack_json.hpp),
// as `result` shows it and `submit --wait` prints it; empty without one.
std::string result_line(const msg::Outcome& outcome);

// "task 42 succeeded: exit 0 after 1.23 s on worker w-1" (no newline), with
// " (attempt 3)" at the end when the task ran more than once.
std::string status_line(const msg::TaskView& task);

// Why a task ended badly, on one line of at most `max_width` code points
// ("exit 3", "could not run: ...", "-" without an outcome).
std::string failure_summary(const msg::TaskView& task, std::size_t max_width);

// ID PROJECT ATTEMPTS FINISHED ERROR, one row per dead task.
Table dead_letter_table(const std::vector<msg::TaskView>& tasks);

// "--- stdout (1234 bytes, last 1024 shown) ---" headers for the tails.
std::string tail_header(std::string_view stream, std::uint64_t total_bytes,
                        std::size_t shown_bytes);

}  // namespace zfleet::ctl
