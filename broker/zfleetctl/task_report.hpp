// Human renderings of one task: the key/value blocks of `status` and
// `result`, the one-word-ish outcome ("exit 3", "killed by SIGKILL (9)",
// "timed out"), and the status line `submit --wait` prints on stderr.
#pragma once

#include <cstdint>
#include <string>

#include "broker/zfleetctl/table.hpp"
#include "common/messages.hpp"

namespace zfleet::ctl {

std::string describe_outcome(const msg::Outcome& outcome);

// `now_ms` (Unix ms) turns timestamps into ages ("... (3.20 s ago)").
Fields status_fields(const msg::TaskView& task, std::int64_t now_ms);

// The outcome block without the output tails; those are printed after it.
Fields result_fields(const msg::TaskView& task);

// "task 42 succeeded: exit 0 after 1.23 s on worker w-1" (no newline).
std::string status_line(const msg::TaskView& task);

// "--- stdout (1234 bytes, last 1024 shown) ---" headers for the tails.
std::string tail_header(std::string_view stream, std::uint64_t total_bytes,
                        std::size_t shown_bytes);

}  // namespace zfleet::ctl
