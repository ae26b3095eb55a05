// The `workers` table: one row per worker, with its slots as busy/slots
// (and the min-max range when its slot count adapts) and the sandbox layers
// its host applies.
#pragma once

#include <string>
#include <vector>

#include "broker/zfleetctl/table.hpp"
#include "common/messages.hpp"

namespace zfleet::ctl {

// "2/4", or "2/4 (1-8)" for an adaptive worker.
std::string slots_cell(const msg::WorkerView& worker);

Table workers_table(const std::vector<msg::WorkerView>& workers);

}  // namespace zfleet::ctl
