// The worker's side of "http" tasks: the request it writes to the stdin of
// its zfleet-http-fetch child (the task's fields, the worker's defaults and
// the host rules of every policy layer) and the outcome it makes of the
// response the child writes to stdout. The response map itself becomes the
// outcome's `result`; its status decides the exit code: 0 for 1xx-3xx, 4 for
// 4xx, 5 for 5xx, and the child's own 1 when no response came (the reason is
// in the result's `error` and in the stderr tail).
#pragma once

#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/messages.hpp"
#include "worker/policy/worker_policy.hpp"

namespace zfleet::worker {

// The encoded request for the fetch child.
std::string http_child_request(const msg::TaskSpec& spec, const std::vector<HostRules>& rules,
                               Millis timeout);

// Fills `outcome` from what the fetch child wrote; `stdout_bytes` is its
// whole stdout.
void http_outcome(const std::string& stdout_bytes, msg::Outcome& outcome);

}  // namespace zfleet::worker
