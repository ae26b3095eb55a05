// The --json shapes of everything zfleetctl prints: protocol views in,
// JSON out. Keys keep the order written here (ordered_json), so output reads
// the same as the documented shapes. Field names follow the wire names of
// schemas/PROTOCOL.md so scripts read the same words everywhere; absent
// optional values are null rather than missing, so every object of a kind has
// the same keys. docs/zfleetctl.md shows each shape.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/messages.hpp"

namespace zfleet::ctl {

using Json = nlohmann::ordered_json;

Json outcome_json(const msg::Outcome& outcome);
// An outcome's `result` (one msgpack value) as JSON; null when absent. See
// msgpack_json.hpp for how bin and ext values are written.
Json result_json(const std::string& raw);
// Includes "outcome" (null until the task is final and the reply carried one).
Json task_json(const msg::TaskView& task);
Json worker_json(const msg::WorkerView& worker);
Json workers_json(const std::vector<msg::WorkerView>& workers);
// Fields left to the defaults (0 / empty) are null.
Json policy_json(const msg::RetryPolicy& policy);
Json project_json(const msg::ProjectView& project);
Json projects_json(const std::vector<msg::ProjectView>& projects);
// {"total": N, "tasks": [task objects]}: one page of the dead-letter list.
Json dead_letters_json(std::uint64_t total, const std::vector<msg::TaskView>& tasks);
// One object, counter name -> value, in the broker's order.
Json counters_json(const msg::Counters& counters);
Json pong_json(const msg::PongReply& pong, std::chrono::microseconds round_trip);

// Compact, one line, no trailing newline. Task output is bytes, not
// necessarily UTF-8: invalid sequences become U+FFFD instead of making the
// dump fail.
std::string dump_line(const Json& value);

}  // namespace zfleet::ctl
