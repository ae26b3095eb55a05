// Waiting for a task to become final: RESULT long-polls in bounded chunks, so
// a broker that dies mid-wait is noticed within one chunk plus the request
// timeout instead of the caller hanging.
#pragma once

#include <cstdint>
#include <optional>

#include "common/client.hpp"

namespace zfleet::ctl {

// How long the broker is asked to hold each RESULT.
inline constexpr Millis kResultPollChunk{10'000};

// Returns the task once final, or its latest (not final) view when `limit`
// passes first; std::nullopt waits as long as the task takes.
Result<msg::TaskView> wait_for_result(Client& client, std::uint64_t id,
                                      std::optional<Millis> limit);

}  // namespace zfleet::ctl
