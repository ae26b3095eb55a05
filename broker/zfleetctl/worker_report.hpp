// The `workers` table: one row per worker, with its slots as busy/slots
// (and the min-max range when its slot count adapts), the sandbox layers
// its host applies and the ceilings it puts on each task.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/zfleetctl/table.hpp"
#include "common/messages.hpp"

namespace zfleet::ctl {

// "2/4", or "2/4 (1-8)" for an adaptive worker.
std::string slots_cell(const msg::WorkerView& worker);

// "mem 1.4 GiB, cpu 1 h, wall 1 h, pids 512" ("none" for a ceiling the
// worker does not set); "-" for a worker that does not report them.
std::string limits_cell(const std::optional<msg::TaskLimits>& limits);

Table workers_table(const std::vector<msg::WorkerView>& workers);

}  // namespace zfleet::ctl
